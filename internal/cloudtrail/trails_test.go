package cloudtrail

import (
	"context"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

func TestTrailLifecycle(t *testing.T) {
	e := newEnv(t)
	created, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("my-bucket"), S3KeyPrefix: aws.String("org/prod")})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:cloudtrail:us-east-1:000000000000:trail/audit"
	if aws.ToString(created.TrailARN) != arn || !aws.ToBool(created.IncludeGlobalServiceEvents) {
		t.Errorf("created %+v", created)
	}
	_, err = e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("b")})
	wantCode(t, err, "TrailAlreadyExistsException")

	st, err := e.client.GetTrailStatus(e.ctx, &ct.GetTrailStatusInput{Name: aws.String(arn)})
	if err != nil || aws.ToBool(st.IsLogging) {
		t.Fatalf("a new trail logs: %v %+v", err, st)
	}
	// Events before StartLogging are not the trail's.
	e.s.Record(awsapi.Call{Service: "ecs", Operation: "BeforeLogging", Principal: rootP, Time: t0})
	if _, err := e.client.StartLogging(e.ctx, &ct.StartLoggingInput{Name: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		e.s.Record(awsapi.Call{Service: "ecs", Operation: fmt.Sprintf("Logged%d", i), Principal: aliceP, Time: t0})
	}
	e.flush()
	files := logFiles(t, filepath.Join(e.dir, "logs"))
	if len(files) != 1 {
		t.Fatalf("got %d log files, want 1", len(files))
	}
	rel, _ := filepath.Rel(filepath.Join(e.dir, "logs"), files[0])
	shape := regexp.MustCompile(`^audit/org/prod/AWSLogs/000000000000/CloudTrail/us-east-1/2025/06/01/000000000000_CloudTrail_us-east-1_20250601T1200Z_[A-Za-z0-9]{16}\.json\.gz$`)
	if !shape.MatchString(filepath.ToSlash(rel)) {
		t.Errorf("log file path %s", rel)
	}
	var doc struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(gunzip(t, files[0]), &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range doc.Records {
		names = append(names, r["eventName"].(string))
	}
	if fmt.Sprint(names) != "[Logged0 Logged1 Logged2]" {
		t.Errorf("delivered %v", names)
	}

	// Nothing new: no new file. Then new events go to a second file.
	e.flush()
	if n := len(logFiles(t, filepath.Join(e.dir, "logs"))); n != 1 {
		t.Errorf("an empty delivery wrote a file: %d files", n)
	}
	st, err = e.client.GetTrailStatus(e.ctx, &ct.GetTrailStatusInput{Name: aws.String("audit")})
	if err != nil || !aws.ToBool(st.IsLogging) || st.LatestDeliveryTime == nil || st.StartLoggingTime == nil || st.LatestDeliveryError != nil {
		t.Fatalf("status %v %+v", err, st)
	}

	// StopLogging delivers what was logged, then nothing more.
	e.s.Record(awsapi.Call{Service: "ecs", Operation: "LastOne", Principal: aliceP, Time: t0})
	if _, err := e.client.StopLogging(e.ctx, &ct.StopLoggingInput{Name: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
	if n := len(logFiles(t, filepath.Join(e.dir, "logs"))); n != 2 {
		t.Errorf("StopLogging did not deliver: %d files", n)
	}
	e.s.Record(awsapi.Call{Service: "ecs", Operation: "AfterStop", Principal: aliceP, Time: t0})
	e.flush()
	if n := len(logFiles(t, filepath.Join(e.dir, "logs"))); n != 2 {
		t.Errorf("a stopped trail delivered: %d files", n)
	}

	upd, err := e.client.UpdateTrail(e.ctx, &ct.UpdateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("other"), EnableLogFileValidation: aws.Bool(true)})
	if err != nil || aws.ToString(upd.S3BucketName) != "other" || !aws.ToBool(upd.LogFileValidationEnabled) || aws.ToString(upd.S3KeyPrefix) != "org/prod" {
		t.Fatalf("update %v %+v", err, upd)
	}
	if _, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("second"), S3BucketName: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	desc, err := e.client.DescribeTrails(e.ctx, &ct.DescribeTrailsInput{})
	if err != nil || len(desc.TrailList) != 2 || aws.ToString(desc.TrailList[0].HomeRegion) != "us-east-1" {
		t.Fatalf("describe %v %+v", err, desc)
	}
	desc, err = e.client.DescribeTrails(e.ctx, &ct.DescribeTrailsInput{TrailNameList: []string{"second", "missing"}})
	if err != nil || len(desc.TrailList) != 1 || aws.ToString(desc.TrailList[0].Name) != "second" {
		t.Fatalf("describe by name %v %+v", err, desc)
	}
	got, err := e.client.GetTrail(e.ctx, &ct.GetTrailInput{Name: aws.String("audit")})
	if err != nil || aws.ToString(got.Trail.S3BucketName) != "other" {
		t.Fatalf("get %v %+v", err, got)
	}
	list, err := e.client.ListTrails(e.ctx, &ct.ListTrailsInput{})
	if err != nil || len(list.Trails) != 2 {
		t.Fatalf("list %v %+v", err, list)
	}
	if _, err := e.client.DeleteTrail(e.ctx, &ct.DeleteTrailInput{Name: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetTrail(e.ctx, &ct.GetTrailInput{Name: aws.String("audit")})
	wantCode(t, err, "TrailNotFoundException")
}

func TestTrailErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"blank name", func() error {
			_, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String(""), S3BucketName: aws.String("b")})
			return err
		}, "InvalidTrailNameException"},
		{"bad characters", func() error {
			_, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("bad/name"), S3BucketName: aws.String("b")})
			return err
		}, "InvalidTrailNameException"},
		{"adjacent dashes", func() error {
			_, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("a--b"), S3BucketName: aws.String("b")})
			return err
		}, "InvalidTrailNameException"},
		{"ip address", func() error {
			_, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("10.0.0.1"), S3BucketName: aws.String("b")})
			return err
		}, "InvalidTrailNameException"},
		{"no bucket", func() error {
			_, err := e.s.CreateTrail(e.ctx, &CreateTrailInput{Name: aws.String("okay")}) // the SDK checks this itself
			if ae, ok := awsapi.As(err); ok {
				return &smithy.GenericAPIError{Code: ae.Code, Message: ae.Message}
			}
			return err
		}, "InvalidS3BucketNameException"},
		{"escaping prefix", func() error {
			_, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("okay"), S3BucketName: aws.String("b"), S3KeyPrefix: aws.String("../../etc")})
			return err
		}, "InvalidS3PrefixException"},
		{"status of missing", func() error {
			_, err := e.client.GetTrailStatus(e.ctx, &ct.GetTrailStatusInput{Name: aws.String("missing")})
			return err
		}, "TrailNotFoundException"},
		{"start missing", func() error {
			_, err := e.client.StartLogging(e.ctx, &ct.StartLoggingInput{Name: aws.String("missing")})
			return err
		}, "TrailNotFoundException"},
		{"delete missing", func() error {
			_, err := e.client.DeleteTrail(e.ctx, &ct.DeleteTrailInput{Name: aws.String("missing")})
			return err
		}, "TrailNotFoundException"},
		{"other account's ARN", func() error {
			_, err := e.client.GetTrail(e.ctx, &ct.GetTrailInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:111111111111:trail/x")})
			return err
		}, "TrailNotFoundException"},
		{"malformed ARN", func() error {
			_, err := e.client.GetTrail(e.ctx, &ct.GetTrailInput{Name: aws.String("arn:aws:s3:::bucket")})
			return err
		}, "CloudTrailARNInvalidException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code) })
	}
}

func TestDurableAcrossRestart(t *testing.T) {
	e := newEnv(t)
	e.s.Record(awsapi.Call{Service: "kms", Operation: "Decrypt", Principal: aliceP, Time: t0.Add(-time.Minute)})
	e.flush()
	e.reopen()
	out, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{})
	if err != nil || len(out.Events) != 1 || aws.ToString(out.Events[0].EventName) != "Decrypt" {
		t.Fatalf("after restart: %v %+v", err, out)
	}
}

func TestConcurrentRecord(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	const writers, each = 8, 300
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e.s.Record(awsapi.Call{Service: "ssm", Operation: "GetParameter", Principal: roleP, ReadOnly: true,
					Time: t0.Add(-time.Duration(i) * time.Millisecond), Input: &ssmGetParameterInput{Name: aws.String(strconv.Itoa(w))}})
			}
		}()
	}
	wg.Wait()
	e.flush()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Counted in process: ~70 KB pages through the SDK hit a transport issue (see helpers_test.go).
	count := 0
	seen := map[string]bool{}
	in := &LookupEventsInput{}
	for {
		out, err := e.s.LookupEvents(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range out.Events {
			if seen[*ev.EventId] {
				t.Fatalf("event %s twice", *ev.EventId)
			}
			seen[*ev.EventId] = true
			count++
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if count != writers*each {
		t.Errorf("got %d events, want %d", count, writers*each)
	}
}

func TestRunCommitsAndDeliversOnShutdown(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.CreateTrail(e.ctx, &ct.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.StartLogging(e.ctx, &ct.StartLoggingInput{Name: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	e.s.Record(awsapi.Call{Service: "ecs", Operation: "RunTask", Principal: rootP, Time: t0})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	files := logFiles(t, filepath.Join(e.dir, "logs"))
	if len(files) != 1 || !strings.Contains(string(gunzip(t, files[0])), `"eventName":"RunTask"`) {
		t.Fatalf("shutdown delivered %v", files)
	}
}

func TestRetention(t *testing.T) {
	e := newEnv(t)
	e.s.Record(awsapi.Call{Service: "ecs", Operation: "Old", Principal: rootP, Time: t0.Add(-91 * 24 * time.Hour)})
	e.s.Record(awsapi.Call{Service: "ecs", Operation: "Recent", Principal: rootP, Time: t0.Add(-89 * 24 * time.Hour)})
	e.flush()
	n, err := e.s.purge()
	if err != nil || n != 1 {
		t.Fatalf("purged %d: %v", n, err)
	}
	out, err := e.client.LookupEvents(e.ctx, &ct.LookupEventsInput{StartTime: aws.Time(t0.Add(-365 * 24 * time.Hour))})
	if err != nil || len(out.Events) != 1 || aws.ToString(out.Events[0].EventName) != "Recent" {
		t.Fatalf("after purge: %v %+v", err, out)
	}
}

// TestNoHTTPImports keeps the package free of HTTP and the gateway: it sees only calls.
func TestNoHTTPImports(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, ent := range entries {
		name := ent.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "net/http" || strings.HasSuffix(path, "/internal/gateway") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if files == 0 {
		t.Fatal("no files parsed")
	}
}

// BenchmarkRecordEndToEnd records from parallel callers while Run commits, Flush
// included: events per second through the whole path.
func BenchmarkRecordEndToEnd(b *testing.B) {
	e := newEnv(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	call := awsapi.Call{Service: "ssm", Operation: "GetParameter", Principal: roleP, ReadOnly: true, SourceIP: "127.0.0.1",
		UserAgent: "aws-sdk-go-v2", Input: &ssmGetParameterInput{Name: aws.String("/app/web/db"), WithDecryption: aws.Bool(true)}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := call
			c.Time = time.Now()
			e.s.Record(c)
		}
	})
	if err := e.s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	cancel()
	<-done
}
