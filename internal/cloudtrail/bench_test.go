package cloudtrail

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/cloudwatch"
	"github.com/wharf-dev/wharf/internal/ssm"
	"github.com/wharf-dev/wharf/internal/store"
)

// benchCalls are a small GetParameter call and a PutMetricData call of 1,000 data
// points, as the gateway hands them to Record.
func benchCalls() map[string]awsapi.Call {
	now := t0.Add(-time.Minute)
	data := make([]cloudwatch.MetricDatum, 1000)
	for i := range data {
		data[i] = cloudwatch.MetricDatum{
			MetricName: "RequestLatency",
			Dimensions: []cloudwatch.Dimension{{Name: "Service", Value: "web"}, {Name: "Instance", Value: fmt.Sprintf("i-%04d", i%50)}},
			Timestamp:  &now,
			Value:      aws.Float64(float64(i) * 1.25),
			Unit:       "Milliseconds",
		}
	}
	base := awsapi.Call{
		Time: t0, Region: "us-east-1", RequestID: "5d7c2b1e-6f1a-4d8b-9e0a-3c4b5a6d7e8f", Principal: roleP,
		SourceIP: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/ssm#1.56.13",
	}
	get := base
	get.Service, get.Operation, get.ReadOnly = "ssm", "GetParameter", true
	get.Input = &ssm.GetParameterInput{Name: aws.String("/app/web/db-password"), WithDecryption: aws.Bool(true)}
	get.Output = &ssm.GetParameterOutput{Parameter: &ssm.Parameter{
		ARN: "arn:aws:ssm:us-east-1:000000000000:parameter/app/web/db-password", DataType: "text",
		LastModifiedDate: &now, Name: "/app/web/db-password", Type: "SecureString", Value: "s3cr3t", Version: 3,
	}}
	put := base
	put.Service, put.Operation = "monitoring", "PutMetricData"
	put.Input = &cloudwatch.PutMetricDataInput{Namespace: "App/Web", MetricData: data}
	put.Output = &cloudwatch.PutMetricDataOutput{}
	return map[string]awsapi.Call{"GetParameter": get, "PutMetricData1000": put}
}

// reportCPU reports the process's CPU time per operation since start ("cpu-ns/op",
// garbage collection included).
func reportCPU(b *testing.B, start int64) {
	if start > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkRecord measures the encoding work of one event: "old" is the original
// (event: redaction tree, resources, json.Marshal of the record; commit: json.Marshal
// of the stored event in tx.Put), "new" what Record and commit do now. Both produce
// the same bytes (checked before timing).
func BenchmarkRecord(b *testing.B) {
	s := testService(b)
	for _, name := range []string{"GetParameter", "PutMetricData1000"} {
		c := benchCalls()[name]
		old, _ := s.eventOld(c, "id")
		want, _ := storedOld(old, 42)
		if got := s.event(c, "id").stored(42); !bytes.Equal(got, want) {
			b.Fatalf("%s: the encodings differ:\n%s\n%s", name, got, want)
		}
		b.Run(name+"/old", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			b.SetBytes(int64(len(want)))
			for i := range b.N {
				ev, err := s.eventOld(c, newUUID())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := storedOld(ev, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			b.SetBytes(int64(len(want)))
			for i := range b.N {
				s.event(c, newUUID()).stored(uint64(i))
			}
		})
		b.Run(name+"/new-parallel", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			b.SetBytes(int64(len(want)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s.event(c, newUUID()).stored(1)
				}
			})
		})
	}
}

// BenchmarkRedact measures requestParameters alone: the original tree and marshal
// against the streaming encoder.
func BenchmarkRedact(b *testing.B) {
	for _, name := range []string{"GetParameter", "PutMetricData1000"} {
		in := benchCalls()[name].Input
		b.Run(name+"/old", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			for range b.N {
				redactedJSONOld(in)
			}
		})
		b.Run(name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			var buf []byte
			for range b.N {
				buf = appendRedacted(buf[:0], in)
			}
		})
	}
}

// BenchmarkResources measures the ARN walk of a call, original and plan-driven.
func BenchmarkResources(b *testing.B) {
	for _, name := range []string{"GetParameter", "PutMetricData1000"} {
		c := benchCalls()[name]
		b.Run(name+"/old", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			for range b.N {
				resourcesOfOld(c, "000000000000")
			}
		})
		b.Run(name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b, processCPU())
			for range b.N {
				resourcesOf(c, "000000000000")
			}
		})
	}
}

// BenchmarkCommit measures a commit of 100 queued events (an op; fsync included in the
// wall time): "old" marshals each stored event in tx.Put, "new" stores the bytes Record
// encoded.
func BenchmarkCommit(b *testing.B) {
	const batch = 100
	for _, name := range []string{"GetParameter", "PutMetricData1000"} {
		c := benchCalls()[name]
		b.Run(name+"/old", func(b *testing.B) {
			s := testService(b)
			evs := make([]*storedEvent, batch)
			for i := range evs {
				evs[i], _ = s.eventOld(c, newUUID())
			}
			b.ResetTimer()
			defer reportCPU(b, processCPU())
			for range b.N {
				if err := s.db.Update(func(tx *store.Tx) error {
					var seq uint64
					if err := tx.Get(bucketMeta, "seq", &seq); err != nil && err != store.ErrNotFound {
						return err
					}
					for _, ev := range evs {
						seq++
						ev.Seq = seq
						if err := tx.Put(bucketEvents, ev.Key, ev); err != nil {
							return err
						}
						if err := tx.Put(bucketSeq, seqKey(seq), ev.Key); err != nil {
							return err
						}
					}
					return tx.Put(bucketMeta, "seq", seq)
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/new", func(b *testing.B) {
			s := testService(b)
			evs := make([]*pendingEvent, batch)
			for i := range evs {
				evs[i] = s.event(c, newUUID())
			}
			b.ResetTimer()
			defer reportCPU(b, processCPU())
			for range b.N {
				s.mu.Lock()
				s.pending = append(s.pending, evs...)
				s.mu.Unlock()
				if err := s.commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
