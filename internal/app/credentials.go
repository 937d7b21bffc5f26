package app

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Credentials are the account's root access key, made on first start.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

const credentialsFile = "credentials.json"

// LoadCredentials reads the root credentials from dataDir, creating them (mode 0600)
// when absent.
func LoadCredentials(dataDir string) (Credentials, error) {
	path := filepath.Join(dataDir, credentialsFile)
	raw, err := os.ReadFile(path)
	if err == nil {
		var c Credentials
		if err := json.Unmarshal(raw, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return Credentials{}, fmt.Errorf("credentials file %s is damaged: remove it to make new root credentials", path)
		}
		return c, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("create data dir: %w", err)
	}
	c := Credentials{AccessKeyID: "AKIA" + randomString(16, upperDigits), SecretAccessKey: randomString(40, secretChars)}
	raw, _ = json.MarshalIndent(c, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadCredentials(dataDir) // another process made them first
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("create credentials: %w", err)
	}
	if _, err := f.Write(append(raw, '\n')); err != nil {
		f.Close()
		return Credentials{}, fmt.Errorf("write credentials: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return Credentials{}, fmt.Errorf("write credentials: %w", err)
	}
	return c, f.Close()
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters drawn uniformly from alphabet (of at most 256).
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// nodeID returns this data dir's stable node id, making it on first use.
func nodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "node-id")
	raw, err := os.ReadFile(path)
	if err == nil && len(raw) > 2 {
		return string(raw), nil
	}
	id := "i-" + randomString(17, "0123456789abcdef")
	if err := os.WriteFile(path, []byte(id), 0o600); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}
