package store

import "sync"

// Cache keeps the decoded records of one bucket in memory for read paths that would
// otherwise decode the same records on every request (keys, policies, parameters).
// A committed write to the bucket invalidates every entry; reads inside a write
// transaction bypass the cache and decode a fresh copy.
//
// The records Get returns from a read transaction are shared: callers must not
// change them (unlike the fresh copies of Tx.Get). A Cache serves one DB.
type Cache[T any] struct {
	bucket string

	mu  sync.RWMutex
	gen uint64 // the bucket generation the entries were read at
	m   map[string]*T
}

// NewCache returns an empty cache of bucket.
func NewCache[T any](bucket string) *Cache[T] {
	return &Cache[T]{bucket: bucket, m: map[string]*T{}}
}

// Get returns the record at key, or ErrNotFound. Absent records are not cached.
//
// Why it is safe: a read transaction carries the bucket's generation as it was just
// before the transaction began, so what it reads is at least that new. An entry is
// used only by transactions of the same generation, and a commit that writes the
// bucket advances the generation after it is durable, so no entry older than the
// latest commit a transaction could see is ever served to it.
func (c *Cache[T]) Get(tx *Tx, key string) (*T, error) {
	if tx.writable {
		v := new(T)
		if err := tx.Get(c.bucket, key, v); err != nil {
			return nil, err
		}
		return v, nil
	}
	g := tx.gens[c.bucket]
	c.mu.RLock()
	v, ok := c.m[key]
	hit := ok && c.gen == g
	c.mu.RUnlock()
	if hit {
		return v, nil
	}
	v = new(T)
	if err := tx.Get(c.bucket, key, v); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if g > c.gen {
		c.gen = g
		clear(c.m)
	}
	if g == c.gen {
		c.m[key] = v
	}
	c.mu.Unlock()
	return v, nil
}

// Generation returns how many committed transactions had written bucket when this
// read transaction began (0 in a write transaction, whose reads are never cacheable).
// A cache of values derived from several records can store it and trust the values
// while the generation stays the same (see Cache.Get for why that is safe).
func (tx *Tx) Generation(bucket string) uint64 { return tx.gens[bucket] }
