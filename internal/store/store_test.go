package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

type rec struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPutGetDeleteScan(t *testing.T) {
	db := open(t)
	err := db.Update(func(tx *Tx) error {
		for i, k := range []string{"a/1", "a/2", "b/1"} {
			if err := tx.Put("things", k, rec{Name: k, N: i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		var r rec
		if err := tx.Get("things", "a/2", &r); err != nil || r.N != 1 {
			return fmt.Errorf("get a/2 = %+v, %v", r, err)
		}
		if err := tx.Get("things", "zzz", &r); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("get missing: %v, want ErrNotFound", err)
		}
		if err := tx.Get("nobucket", "x", &r); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("get missing bucket: %v, want ErrNotFound", err)
		}
		got, err := List[rec](tx, "things", "a/")
		if err != nil || len(got) != 2 || got[0].Name != "a/1" || got[1].Name != "a/2" {
			return fmt.Errorf("list a/ = %+v, %v", got, err)
		}
		if n := tx.Count("things", ""); n != 3 {
			return fmt.Errorf("count = %d, want 3", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.Delete("things", "a/1") }); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		if tx.Has("things", "a/1") {
			t.Error("a/1 still there after delete")
		}
		return nil
	})
}

func TestUpdateRollsBackOnError(t *testing.T) {
	db := open(t)
	boom := errors.New("boom")
	err := db.Update(func(tx *Tx) error {
		if err := tx.Put("things", "x", rec{Name: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	_ = db.View(func(tx *Tx) error {
		if tx.Has("things", "x") {
			t.Error("write of a failed transaction is visible")
		}
		return nil
	})
}

func TestWatchNotifiesAfterCommit(t *testing.T) {
	db := open(t)
	ch, stop := db.Watch()
	defer stop()
	if err := db.View(func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("notified without a write")
	default:
	}
	if err := db.Update(func(tx *Tx) error { return tx.Put("b", "k", 1) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after a write")
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(path); err == nil {
		t.Fatal("second Open of a locked database succeeded")
	}
}

// TestAcknowledgedWritesSurviveKill runs a child that writes records one transaction
// at a time and prints each acknowledged key, kills it with SIGKILL mid-stream, and
// checks that every acknowledged record is in the reopened database.
func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	if path := os.Getenv("WHARF_STORE_CHILD"); path != "" {
		db, err := Open(path)
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			key := strconv.Itoa(i)
			if err := db.Update(func(tx *Tx) error { return tx.Put("acked", key, rec{Name: key, N: i}) }); err != nil {
				fmt.Println("update:", err)
				os.Exit(1)
			}
			fmt.Println(key)
		}
	}
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedWritesSurviveKill$")
	cmd.Env = append(os.Environ(), "WHARF_STORE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 200 {
		acked = append(acked, sc.Text())
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d writes: %v", len(acked), acked)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *Tx) error {
		for _, k := range acked {
			var r rec
			if err := tx.Get("acked", k, &r); err != nil || r.Name != k {
				t.Errorf("acknowledged record %s lost after kill: %+v, %v", k, r, err)
			}
		}
		return nil
	})
}
