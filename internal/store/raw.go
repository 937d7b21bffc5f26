package store

import (
	"errors"
	"fmt"
)

// errEmptyRaw is returned by PutRaw for an empty record, which no reader could decode.
var errEmptyRaw = errors.New("empty record")

// PutRaw stores raw, an already-encoded JSON value, as the record at bucket/key, as
// Put stores the encoding of a value: readers (Get, Scan, List, Cache) see the same
// record, and the bucket counts as written for Cache and Watch.
//
// The caller vouches that raw is valid JSON (what json.Marshal would produce for the
// value it stands for); it is not checked, which is the point: a writer that encodes
// its records itself, off the write transaction, spares the transaction the encoding
// and the validation Put does. raw must not change until the transaction has ended:
// the database keeps a reference to it until the commit.
func (tx *Tx) PutRaw(bucket, key string, raw []byte) error {
	if len(raw) == 0 {
		return fmt.Errorf("store: put %s/%s: %w", bucket, key, errEmptyRaw)
	}
	b, err := tx.btx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return fmt.Errorf("store: bucket %s: %w", bucket, err)
	}
	if err := b.Put([]byte(key), raw); err != nil {
		return fmt.Errorf("store: put %s/%s: %w", bucket, key, err)
	}
	tx.wrote(bucket)
	return nil
}
