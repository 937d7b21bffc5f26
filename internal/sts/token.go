package sts

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
)

// newToken returns a session token: 256 random bytes, base64 (as long as AWS's tokens).
func newToken() string {
	b := make([]byte, 256)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(b)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
