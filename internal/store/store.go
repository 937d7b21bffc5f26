// Package store is Wharf's embedded, transactional state database. It keeps records as
// JSON values in named buckets of a bbolt file; every committed transaction is fsynced,
// so an acknowledged write survives a crash and a restart.
//
// Records read from the store are fresh copies: callers may change them freely, and a
// change takes effect only when written back with Put inside an Update.
package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNotFound is returned by Get for a key that has no record.
var ErrNotFound = errors.New("store: record not found")

// DB is an open state database.
type DB struct {
	bolt *bolt.DB

	mu       sync.Mutex
	watchers map[chan struct{}]struct{}

	// gens counts the committed writes of each bucket, for Cache. The map is never
	// changed in place: a commit swaps in an updated copy.
	gens atomic.Pointer[map[string]uint64]
}

// Open opens (creating if needed) the database file at path.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory: %w", err)
	}
	// A large initial mmap (address space, not memory) spares readers the stall of a
	// remap, which holds every reader while the file grows under a write-heavy load.
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, InitialMmapSize: 1 << 30})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("store: %s is locked by another process (is another wharf running with this data dir?)", path)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: b, watchers: map[chan struct{}]struct{}{}}
	db.gens.Store(&map[string]uint64{})
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.bolt.Close() }

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(tx *Tx) error) error {
	// The generations are read before the transaction begins, so what it reads is at
	// least as new as they say (see Cache).
	gens := *db.gens.Load()
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx, gens: gens}) })
}

// Update runs fn in a read-write transaction, committed (and fsynced) when fn returns nil
// and rolled back when it returns an error. Watchers are notified after a commit that
// wrote something.
func (db *DB) Update(fn func(tx *Tx) error) error {
	var touched map[string]bool
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		tx := &Tx{btx: btx, writable: true}
		if err := fn(tx); err != nil {
			return err
		}
		touched = tx.touched
		return nil
	})
	if err == nil && len(touched) > 0 {
		db.bump(touched)
		db.notify()
	}
	return err
}

// bump advances the generation of the buckets a committed transaction wrote.
func (db *DB) bump(buckets map[string]bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	old := *db.gens.Load()
	gens := make(map[string]uint64, len(old)+len(buckets))
	for b, g := range old {
		gens[b] = g
	}
	for b := range buckets {
		gens[b]++
	}
	db.gens.Store(&gens)
}

// Watch returns a channel that receives (without blocking the writer, coalesced) after
// every committed write, and a function that stops the watch.
func (db *DB) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	db.mu.Lock()
	db.watchers[ch] = struct{}{}
	db.mu.Unlock()
	return ch, func() {
		db.mu.Lock()
		delete(db.watchers, ch)
		db.mu.Unlock()
	}
}

func (db *DB) notify() {
	db.mu.Lock()
	defer db.mu.Unlock()
	for ch := range db.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Tx is a transaction. Buckets are created on first write.
type Tx struct {
	btx      *bolt.Tx
	writable bool
	touched  map[string]bool   // buckets written, in a write transaction
	gens     map[string]uint64 // bucket generations when a read transaction began
}

// wrote records a write to bucket.
func (tx *Tx) wrote(bucket string) {
	if tx.touched == nil {
		tx.touched = map[string]bool{}
	}
	tx.touched[bucket] = true
}

// Get decodes the record at bucket/key into v; it returns ErrNotFound when absent.
func (tx *Tx) Get(bucket, key string, v any) error {
	b := tx.btx.Bucket([]byte(bucket))
	if b == nil {
		return ErrNotFound
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

// Has reports whether bucket/key holds a record.
func (tx *Tx) Has(bucket, key string) bool {
	b := tx.btx.Bucket([]byte(bucket))
	return b != nil && b.Get([]byte(key)) != nil
}

// Put encodes v as the record at bucket/key.
func (tx *Tx) Put(bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", bucket, key, err)
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

// Delete removes bucket/key; deleting an absent record is not an error.
func (tx *Tx) Delete(bucket, key string) error {
	b := tx.btx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	if err := b.Delete([]byte(key)); err != nil {
		return fmt.Errorf("store: delete %s/%s: %w", bucket, key, err)
	}
	tx.wrote(bucket)
	return nil
}

// NextSequence returns the next value of the bucket's counter (1, 2, 3...).
func (tx *Tx) NextSequence(bucket string) (uint64, error) {
	b, err := tx.btx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return 0, fmt.Errorf("store: bucket %s: %w", bucket, err)
	}
	tx.wrote(bucket)
	return b.NextSequence()
}

// Scan calls fn for each record whose key starts with prefix, in key order, until fn
// returns an error or ErrStop. fn receives the raw JSON; decode it with Decode.
func (tx *Tx) Scan(bucket, prefix string, fn func(key string, raw []byte) error) error {
	b := tx.btx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	c := b.Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if err := fn(string(k), v); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// Count returns the number of records in bucket whose key starts with prefix.
func (tx *Tx) Count(bucket, prefix string) int {
	n := 0
	_ = tx.Scan(bucket, prefix, func(string, []byte) error { n++; return nil })
	return n
}

// ErrStop ends a Scan early without error.
var ErrStop = errors.New("store: stop scan")

// Decode decodes a raw record from Scan into v.
func Decode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: decode: %w", err)
	}
	return nil
}

// List decodes every record of bucket with the key prefix into a slice, in key order.
func List[T any](tx *Tx, bucket, prefix string) ([]T, error) {
	var out []T
	err := tx.Scan(bucket, prefix, func(_ string, raw []byte) error {
		var v T
		if err := Decode(raw, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}
