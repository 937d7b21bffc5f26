package kms

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/store"
)

// openWith decrypts a symmetric blob with raw key material, as an independent check
// of the blob format.
func openWith(material, blob []byte, ec map[string]string) ([]byte, error) {
	block, err := aes.NewCipher(material)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, blob[headerLen:headerLen+nonceLen], blob[headerLen+nonceLen:], canonicalContext(append([]byte(nil), blob[:headerLen]...), ec))
}

// newBareService is a Service on a fresh store, without the gateway.
func newBareService(tb testing.TB) *Service {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "wharf.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s, err := New(db, Config{MasterKey: testMasterKey, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// FuzzDecryptBlob feeds arbitrary blobs to DecryptFor: it must never panic, and must
// succeed only for a genuine blob (one this service made) with its context.
func FuzzDecryptBlob(f *testing.F) {
	s := newBareService(f)
	ctx := context.Background()
	out, err := s.CreateKey(ctx, &CreateKeyInput{})
	if err != nil {
		f.Fatal(err)
	}
	genuine := map[string]string{}
	ec := map[string]string{"k": "v"}
	for _, pt := range []string{"a", "hello world", string(make([]byte, 300))} {
		blob, _, err := s.EncryptFor(ctx, out.KeyMetadata.KeyId, []byte(pt), ec)
		if err != nil {
			f.Fatal(err)
		}
		genuine[string(blob)] = pt
		f.Add(blob, "k", "v")
		bad := bytes.Clone(blob)
		bad[len(bad)/2] ^= 0x40
		f.Add(bad, "k", "v")
	}
	f.Add([]byte{}, "", "")
	f.Add([]byte{1}, "k", "v")
	f.Add(make([]byte, minBlobLen), "", "")
	f.Fuzz(func(t *testing.T, blob []byte, key, value string) {
		pt, _, err := s.DecryptFor(ctx, blob, map[string]string{key: value})
		if err != nil {
			return
		}
		want, ok := genuine[string(blob)]
		if !ok || key != "k" || value != "v" || string(pt) != want {
			t.Fatalf("DecryptFor accepted a forged blob %x (context %q=%q): %q", blob, key, value, pt)
		}
	})
}

func BenchmarkDecryptFor(b *testing.B) {
	s := newBareService(b)
	ctx := context.Background()
	ec := map[string]string{"PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/app/db"}
	blob, _, err := s.EncryptFor(ctx, "alias/aws/ssm", []byte("a database password"), ec)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.DecryptFor(ctx, blob, ec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
