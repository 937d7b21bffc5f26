package kms

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadMasterKey(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(MasterKeyEnv, "")
	k1, err := LoadMasterKey(dir)
	if err != nil || len(k1) != 32 {
		t.Fatalf("LoadMasterKey = %d bytes, %v", len(k1), err)
	}
	fi, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master.key mode %v, %v", fi.Mode(), err)
	}
	k2, err := LoadMasterKey(dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("the master key changed between loads")
	}
	env := bytes.Repeat([]byte{7}, 32)
	t.Setenv(MasterKeyEnv, base64.StdEncoding.EncodeToString(env))
	if k, err := LoadMasterKey(dir); err != nil || !bytes.Equal(k, env) {
		t.Fatalf("the environment's key was not used: %v", err)
	}
	for _, bad := range []string{"!!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		t.Setenv(MasterKeyEnv, bad)
		if _, err := LoadMasterKey(dir); err == nil {
			t.Fatalf("%q accepted as a master key", bad)
		}
	}
}

func TestWrongMasterKey(t *testing.T) {
	e := newEnv(t)
	k := e.key("k")
	blob := e.encrypt(*k.KeyId, "x", nil)
	other, err := New(e.db, Config{MasterKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	other.log = e.s.log
	if _, _, err := other.DecryptFor(e.ctx, blob, nil); err == nil {
		t.Fatal("a service with another master key decrypted the blob")
	}
	if _, err := New(e.db, Config{MasterKey: []byte("short")}); err == nil {
		t.Fatal("New accepted a short master key")
	}
}
