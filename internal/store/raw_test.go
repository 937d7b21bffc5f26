package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// TestPutRawIsPut: a record stored with PutRaw reads back exactly as one stored with
// Put, byte for byte, and its write invalidates caches and wakes watchers as Put's does.
func TestPutRawIsPut(t *testing.T) {
	db := open(t)
	want := rec{Name: "a <b> & \"c\"", N: 7}
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache[rec]("raw")
	if err := db.Update(func(tx *Tx) error {
		if err := tx.Put("put", "k", want); err != nil {
			return err
		}
		return tx.PutRaw("raw", "k", raw)
	}); err != nil {
		t.Fatal(err)
	}
	var viaPut, viaRaw []byte
	if err := db.View(func(tx *Tx) error {
		var got rec
		if err := tx.Get("raw", "k", &got); err != nil || got != want {
			t.Errorf("Get = %+v, %v; want %+v", got, err, want)
		}
		if v, err := c.Get(tx, "k"); err != nil || *v != want {
			t.Errorf("Cache.Get = %+v, %v; want %+v", v, err, want)
		}
		if err := tx.Scan("put", "", func(_ string, b []byte) error { viaPut = bytes.Clone(b); return nil }); err != nil {
			return err
		}
		return tx.Scan("raw", "", func(_ string, b []byte) error { viaRaw = bytes.Clone(b); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(viaPut, viaRaw) {
		t.Errorf("PutRaw stored %s, Put %s", viaRaw, viaPut)
	}

	// A PutRaw write is a write: the cache must not serve the old record, and
	// watchers are told.
	ch, stop := db.Watch()
	defer stop()
	want.N = 8
	raw, _ = json.Marshal(want)
	if err := db.Update(func(tx *Tx) error { return tx.PutRaw("raw", "k", raw) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	default:
		t.Error("no watch notification after a PutRaw commit")
	}
	if err := db.View(func(tx *Tx) error {
		v, err := c.Get(tx, "k")
		if err != nil || v.N != 8 {
			t.Errorf("after PutRaw the cache served %+v, %v; want N=8", v, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestPutRawRefusals(t *testing.T) {
	db := open(t)
	err := db.Update(func(tx *Tx) error { return tx.PutRaw("b", "k", nil) })
	if !errors.Is(err, errEmptyRaw) {
		t.Errorf("empty record: %v, want errEmptyRaw", err)
	}
	err = db.View(func(tx *Tx) error { return tx.PutRaw("b", "k", []byte(`1`)) })
	if err == nil {
		t.Error("PutRaw in a read-only transaction succeeded")
	}
	if err := db.View(func(tx *Tx) error {
		if tx.Has("b", "k") {
			t.Error("a refused PutRaw left a record")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
