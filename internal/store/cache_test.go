package store

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

type cached struct{ N int }

func TestCacheServesUntilTheBucketIsWritten(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := NewCache[cached]("b")
	put := func(bucket string, n int) {
		t.Helper()
		if err := db.Update(func(tx *Tx) error { return tx.Put(bucket, "k", cached{n}) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func() *cached {
		t.Helper()
		var v *cached
		if err := db.View(func(tx *Tx) error { var err error; v, err = c.Get(tx, "k"); return err }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := db.View(func(tx *Tx) error { _, err := c.Get(tx, "k"); return err }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent record: %v", err)
	}
	put("b", 1)
	first := get()
	if first.N != 1 || get() != first {
		t.Fatalf("second read did not come from the cache: %+v", first)
	}
	put("other", 9) // another bucket's write keeps the entry
	if get() != first {
		t.Fatal("a write to another bucket invalidated the cache")
	}
	put("b", 2)
	if v := get(); v.N != 2 {
		t.Fatalf("after a write: %d, want 2", v.N)
	}
	// Inside a write transaction the cache decodes a fresh, private copy.
	if err := db.Update(func(tx *Tx) error {
		v, err := c.Get(tx, "k")
		if err != nil {
			return err
		}
		if v == get() {
			t.Error("a write transaction got the shared copy")
		}
		v.N = 3
		return tx.Put("b", "k", v)
	}); err != nil {
		t.Fatal(err)
	}
	if v := get(); v.N != 3 {
		t.Fatalf("after an update through the cache: %d, want 3", v.N)
	}
	if err := db.Update(func(tx *Tx) error { return tx.Delete("b", "k") }); err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx *Tx) error { _, err := c.Get(tx, "k"); return err }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted record: %v", err)
	}
}

// TestCacheNeverServesStale races writers and cached readers: a reader that starts
// after a write was acknowledged must see it (or a newer value).
func TestCacheNeverServesStale(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := NewCache[cached]("b")
	var mu sync.Mutex
	acked := 0
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; n <= 200; n++ {
			if err := db.Update(func(tx *Tx) error { return tx.Put("b", "k", cached{n}) }); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			acked = n
			mu.Unlock()
		}
	}()
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				mu.Lock()
				min := acked
				mu.Unlock()
				var v *cached
				err := db.View(func(tx *Tx) error { var err error; v, err = c.Get(tx, "k"); return err })
				if errors.Is(err, ErrNotFound) && min == 0 {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if v.N < min {
					t.Errorf("read %d after %d was acknowledged", v.N, min)
					return
				}
			}
		}()
	}
	wg.Wait()
}
