package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// maxRecordsPerFile bounds one log file, as AWS splits large deliveries.
const maxRecordsPerFile = 10000

// deliverAll delivers the new events of every logging trail; it returns the first
// failure (each trail's is also kept in its status).
func (s *Service) deliverAll() error {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	trails, err := s.allTrails()
	if err != nil {
		return err
	}
	var first error
	for _, t := range trails {
		if !t.IsLogging {
			continue
		}
		if err := s.deliverLocked(t.Name, false); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// deliverLocked writes the trail's undelivered events to log files and advances its
// cursor; stopped trails are delivered only when force is set (by StopLogging).
// deliverMu must be held.
func (s *Service) deliverLocked(name string, force bool) error {
	var (
		t       trailRecord
		records [][]byte
		upto    uint64
	)
	err := s.db.View(func(tx *store.Tx) error {
		if err := tx.Get(bucketTrails, name, &t); err != nil {
			return err
		}
		if !t.IsLogging && !force {
			return nil
		}
		last, err := lastSeq(tx)
		if err != nil || last <= t.DeliveredSeq {
			return err
		}
		upto = last
		return scanRange(tx, bucketSeq, seqKey(t.DeliveredSeq+1), seqKey(last), func(k string, raw []byte) error {
			var key string
			if err := store.Decode(raw, &key); err != nil {
				return err
			}
			var ev storedEvent
			if err := tx.Get(bucketEvents, key, &ev); err == nil {
				records = append(records, ev.Record)
			} else if !errors.Is(err, store.ErrNotFound) { // purged events are skipped
				return err
			}
			if len(records) >= maxRecordsPerFile*10 {
				upto, err = strconv.ParseUint(k, 16, 64)
				if err != nil {
					return fmt.Errorf("sequence key %q: %w", k, err)
				}
				return store.ErrStop
			}
			return nil
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("cloudtrail: read events of trail %s: %w", name, err)
	}
	if upto == 0 || upto == t.DeliveredSeq {
		return nil
	}
	now := s.now()
	var werr error
	for i := 0; i < len(records) && werr == nil; i += maxRecordsPerFile {
		werr = s.writeLogFile(&t, records[i:min(i+maxRecordsPerFile, len(records))], now)
	}
	return s.db.Update(func(tx *store.Tx) error {
		var cur trailRecord
		if err := tx.Get(bucketTrails, name, &cur); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		cur.LatestDeliveryAttemptTime = &now
		if werr != nil {
			cur.LatestDeliveryError = werr.Error()
			s.log.Error("cloudtrail: delivery failed", "trail", name, "err", werr)
		} else {
			cur.LatestDeliveryError = ""
			cur.LatestDeliveryTime = &now
			cur.DeliveredSeq = upto
		}
		if err := tx.Put(bucketTrails, name, &cur); err != nil {
			return err
		}
		return werr
	})
}

// logFilePath is where AWS would put a log file delivered at t, under the trail's
// directory: <trail>/[<prefix>/]AWSLogs/<acct>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
// <acct>_CloudTrail_<region>_<yyyymmddThhmmZ>_<random>.json.gz.
func (s *Service) logFilePath(t *trailRecord, at time.Time) string {
	at = at.UTC()
	file := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", s.account, s.region, at.Format("20060102T1504Z"), randomName())
	parts := []string{s.dir, t.Name}
	if t.S3KeyPrefix != "" {
		parts = append(parts, filepath.FromSlash(t.S3KeyPrefix))
	}
	parts = append(parts, "AWSLogs", s.account, "CloudTrail", s.region, at.Format("2006"), at.Format("01"), at.Format("02"), file)
	return filepath.Join(parts...)
}

// writeLogFile writes {"Records":[...]} gzipped, atomically.
func (s *Service) writeLogFile(t *trailRecord, records [][]byte, at time.Time) error {
	if s.dir == "" {
		return errors.New("no delivery directory configured")
	}
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write([]byte(`{"Records":[`))
	for i, r := range records {
		if i > 0 {
			zw.Write([]byte{','})
		}
		zw.Write(r)
	}
	zw.Write([]byte(`]}`))
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress log file: %w", err)
	}
	path := s.logFilePath(t, at)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create log directory: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, body.Bytes(), 0o640); err != nil {
		return fmt.Errorf("write log file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write log file: %w", err)
	}
	return nil
}

// randomName is the 16-character random part of a log file name.
func randomName() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [16]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
