package kms

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kmssdk "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

func TestEncryptDecrypt(t *testing.T) {
	e := newEnv(t)
	k := e.key("k")
	ec := map[string]string{"app": "web", "env": "prod"}
	out, err := e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: k.KeyId, Plaintext: []byte("hunter2"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if out.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault || aws.ToString(out.KeyId) != *k.Arn {
		t.Fatalf("Encrypt = %+v", out)
	}
	if bytes.Contains(out.CiphertextBlob, []byte("hunter2")) {
		t.Fatal("the ciphertext contains the plaintext")
	}
	dec, err := e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: map[string]string{"env": "prod", "app": "web"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(dec.Plaintext) != "hunter2" || aws.ToString(dec.KeyId) != *k.Arn || aws.ToString(dec.KeyMaterialId) == "" {
		t.Fatalf("Decrypt = %+v", dec)
	}

	other := e.key("other")
	tampered := append([]byte(nil), out.CiphertextBlob...)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name string
		in   kmssdk.DecryptInput
		want func(error)
	}{
		{"no context", kmssdk.DecryptInput{CiphertextBlob: out.CiphertextBlob}, func(err error) { wantType[*types.InvalidCiphertextException](t, err) }},
		{"wrong context value", kmssdk.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: map[string]string{"app": "web", "env": "dev"}}, func(err error) { wantType[*types.InvalidCiphertextException](t, err) }},
		{"extra context", kmssdk.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: map[string]string{"app": "web", "env": "prod", "x": ""}}, func(err error) { wantType[*types.InvalidCiphertextException](t, err) }},
		{"tampered", kmssdk.DecryptInput{CiphertextBlob: tampered, EncryptionContext: ec}, func(err error) { wantType[*types.InvalidCiphertextException](t, err) }},
		{"garbage", kmssdk.DecryptInput{CiphertextBlob: []byte("not a ciphertext at all, not at all, not at all!!")}, func(err error) { wantType[*types.InvalidCiphertextException](t, err) }},
		{"wrong key id", kmssdk.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec, KeyId: other.KeyId}, func(err error) { wantType[*types.IncorrectKeyException](t, err) }},
		{"bad algorithm", kmssdk.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionAlgorithm: "NOPE"}, func(err error) { wantCode(t, err, "ValidationException", "encryptionAlgorithm") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.client.Decrypt(e.ctx, &c.in)
			c.want(err)
		})
	}
	ok, err := e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec, KeyId: k.Arn})
	if err != nil || string(ok.Plaintext) != "hunter2" {
		t.Fatalf("Decrypt with the right KeyId: %v", err)
	}

	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: k.KeyId, Plaintext: make([]byte, 4097)})
	wantCode(t, err, "ValidationException", "4096")
	if _, err := e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: k.KeyId, Plaintext: make([]byte, 4096)}); err != nil {
		t.Fatalf("Encrypt of 4096 bytes: %v", err)
	}
	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: k.KeyId, Plaintext: []byte("x"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	wantType[*types.InvalidKeyUsageException](t, err)
	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: aws.String("alias/none"), Plaintext: []byte("x")})
	wantType[*types.NotFoundException](t, err)
	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: k.KeyId, Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	wantType[*types.DryRunOperationException](t, err)
}

func TestReEncrypt(t *testing.T) {
	e := newEnv(t)
	src, dst := e.key("src"), e.key("dst")
	blob := e.encrypt(*src.KeyId, "moving", map[string]string{"a": "1"})
	out, err := e.client.ReEncrypt(e.ctx, &kmssdk.ReEncryptInput{
		CiphertextBlob: blob, SourceEncryptionContext: map[string]string{"a": "1"},
		DestinationKeyId: dst.KeyId, DestinationEncryptionContext: map[string]string{"b": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.KeyId) != *dst.Arn || aws.ToString(out.SourceKeyId) != *src.Arn {
		t.Fatalf("ReEncrypt = %+v", out)
	}
	if got := e.decrypt(out.CiphertextBlob, map[string]string{"b": "2"}); got != "moving" {
		t.Fatalf("decrypt = %q", got)
	}
	_, err = e.client.ReEncrypt(e.ctx, &kmssdk.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: map[string]string{"a": "1"}, SourceKeyId: dst.KeyId, DestinationKeyId: dst.KeyId})
	wantType[*types.IncorrectKeyException](t, err)
	_, err = e.client.ReEncrypt(e.ctx, &kmssdk.ReEncryptInput{CiphertextBlob: blob, DestinationKeyId: dst.KeyId})
	wantType[*types.InvalidCiphertextException](t, err)
	_, err = e.client.ReEncrypt(e.ctx, &kmssdk.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: map[string]string{"a": "1"}, DestinationKeyId: aws.String("alias/none")})
	wantType[*types.NotFoundException](t, err)
}

func TestGenerateDataKeyAndRandom(t *testing.T) {
	e := newEnv(t)
	k := e.key("k")
	for _, c := range []struct {
		in   kmssdk.GenerateDataKeyInput
		size int
	}{
		{kmssdk.GenerateDataKeyInput{KeyId: k.KeyId, KeySpec: types.DataKeySpecAes256}, 32},
		{kmssdk.GenerateDataKeyInput{KeyId: k.KeyId, KeySpec: types.DataKeySpecAes128}, 16},
		{kmssdk.GenerateDataKeyInput{KeyId: k.KeyId, NumberOfBytes: aws.Int32(1024), EncryptionContext: map[string]string{"x": "y"}}, 1024},
	} {
		out, err := e.client.GenerateDataKey(e.ctx, &c.in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Plaintext) != c.size || aws.ToString(out.KeyId) != *k.Arn {
			t.Fatalf("GenerateDataKey: %d bytes, key %s", len(out.Plaintext), aws.ToString(out.KeyId))
		}
		if got := e.decrypt(out.CiphertextBlob, c.in.EncryptionContext); got != string(out.Plaintext) {
			t.Fatal("the data key does not decrypt to its plaintext")
		}
	}
	for _, in := range []kmssdk.GenerateDataKeyInput{
		{KeyId: k.KeyId},
		{KeyId: k.KeyId, KeySpec: types.DataKeySpecAes256, NumberOfBytes: aws.Int32(32)},
		{KeyId: k.KeyId, NumberOfBytes: aws.Int32(0)},
		{KeyId: k.KeyId, NumberOfBytes: aws.Int32(1025)},
	} {
		_, err := e.client.GenerateDataKey(e.ctx, &in)
		wantCode(t, err, "ValidationException", "")
	}
	wp, err := e.client.GenerateDataKeyWithoutPlaintext(e.ctx, &kmssdk.GenerateDataKeyWithoutPlaintextInput{KeyId: k.KeyId, KeySpec: types.DataKeySpecAes256})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.decrypt(wp.CiphertextBlob, nil); len(got) != 32 {
		t.Fatalf("data key of %d bytes", len(got))
	}
	r, err := e.client.GenerateRandom(e.ctx, &kmssdk.GenerateRandomInput{NumberOfBytes: aws.Int32(64)})
	if err != nil || len(r.Plaintext) != 64 || bytes.Equal(r.Plaintext, make([]byte, 64)) {
		t.Fatalf("GenerateRandom = %v, %v", r, err)
	}
	for _, n := range []int32{0, 1025} {
		_, err := e.client.GenerateRandom(e.ctx, &kmssdk.GenerateRandomInput{NumberOfBytes: aws.Int32(n)})
		wantCode(t, err, "ValidationException", "numberOfBytes")
	}
}

func TestRotation(t *testing.T) {
	e := newEnv(t)
	k := e.key("rotating")
	old := e.encrypt(*k.KeyId, "before", nil)
	st, err := e.client.GetKeyRotationStatus(e.ctx, &kmssdk.GetKeyRotationStatusInput{KeyId: k.KeyId})
	if err != nil || st.KeyRotationEnabled {
		t.Fatalf("status %+v, %v", st, err)
	}
	for _, days := range []int32{89, 2561} {
		_, err := e.client.EnableKeyRotation(e.ctx, &kmssdk.EnableKeyRotationInput{KeyId: k.KeyId, RotationPeriodInDays: aws.Int32(days)})
		wantCode(t, err, "ValidationException", "rotationPeriodInDays")
	}
	if _, err := e.client.EnableKeyRotation(e.ctx, &kmssdk.EnableKeyRotationInput{KeyId: k.KeyId, RotationPeriodInDays: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	st, err = e.client.GetKeyRotationStatus(e.ctx, &kmssdk.GetKeyRotationStatusInput{KeyId: k.KeyId})
	if err != nil || !st.KeyRotationEnabled || aws.ToInt32(st.RotationPeriodInDays) != 90 || !st.NextRotationDate.Equal(e.clock.Now().Add(90*24*time.Hour)) {
		t.Fatalf("status %+v, %v", st, err)
	}

	// On demand.
	if _, err := e.client.RotateKeyOnDemand(e.ctx, &kmssdk.RotateKeyOnDemandInput{KeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	mid := e.encrypt(*k.KeyId, "after", nil)
	if bytes.Equal(old[17:21], mid[17:21]) {
		t.Fatal("new ciphertexts still use the old key version")
	}
	if e.decrypt(old, nil) != "before" || e.decrypt(mid, nil) != "after" {
		t.Fatal("decrypt after an on-demand rotation failed")
	}

	// Scheduled, by Run.
	done := make(chan error, 1)
	runCtx, stop := contextWithCancel(e.ctx)
	go func() { done <- e.s.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	e.clock.Advance(91 * 24 * time.Hour)
	waitFor(t, "the scheduled rotation", func() bool {
		out, err := e.client.ListKeyRotations(e.ctx, &kmssdk.ListKeyRotationsInput{KeyId: k.KeyId})
		return err == nil && len(out.Rotations) == 2
	})
	rot, err := e.client.ListKeyRotations(e.ctx, &kmssdk.ListKeyRotationsInput{KeyId: k.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Rotations[0].RotationType != types.RotationTypeOnDemand || rot.Rotations[1].RotationType != types.RotationTypeAutomatic ||
		rot.Rotations[1].KeyMaterialState != types.KeyMaterialStateCurrent {
		t.Fatalf("rotations %+v", rot.Rotations)
	}
	latest := e.encrypt(*k.KeyId, "latest", nil)
	if latest[20] != 2 {
		t.Fatalf("new ciphertext uses key version %d, want 2", latest[20])
	}
	for blob, want := range map[*[]byte]string{&old: "before", &mid: "after", &latest: "latest"} {
		if got := e.decrypt(*blob, nil); got != want {
			t.Fatalf("decrypt = %q, want %q", got, want)
		}
	}
	st, _ = e.client.GetKeyRotationStatus(e.ctx, &kmssdk.GetKeyRotationStatusInput{KeyId: k.KeyId})
	if !st.NextRotationDate.After(e.clock.Now()) {
		t.Fatalf("next rotation %v is not after now %v", st.NextRotationDate, e.clock.Now())
	}

	if _, err := e.client.DisableKeyRotation(e.ctx, &kmssdk.DisableKeyRotationInput{KeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	st, _ = e.client.GetKeyRotationStatus(e.ctx, &kmssdk.GetKeyRotationStatusInput{KeyId: k.KeyId})
	if st.KeyRotationEnabled {
		t.Fatal("rotation still enabled")
	}
	if _, err := e.client.DisableKey(e.ctx, &kmssdk.DisableKeyInput{KeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.RotateKeyOnDemand(e.ctx, &kmssdk.RotateKeyOnDemandInput{KeyId: k.KeyId})
	wantType[*types.DisabledException](t, err)
}

func TestEncryptForManagedSSMKey(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	ec := map[string]string{"PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/app/db"}
	blob, arn, err := e.s.EncryptFor(ctx, "alias/aws/ssm", []byte("p@ss"), ec)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.client.DescribeKey(ctx, &kmssdk.DescribeKeyInput{KeyId: aws.String("alias/aws/ssm")})
	if err != nil {
		t.Fatal(err)
	}
	m := d.KeyMetadata
	if *m.Arn != arn || m.KeyManager != types.KeyManagerTypeAws || *m.Description != "Default key that protects my SSM parameters when no other key is defined" {
		t.Fatalf("managed key %+v", m)
	}
	blob2, arn2, err := e.s.EncryptFor(ctx, "arn:aws:kms:us-east-1:000000000000:alias/aws/ssm", []byte("again"), nil)
	if err != nil || arn2 != arn {
		t.Fatalf("second EncryptFor used %s, %v (first %s)", arn2, err, arn)
	}
	pt, karn, err := e.s.DecryptFor(ctx, blob, ec)
	if err != nil || string(pt) != "p@ss" || karn != arn {
		t.Fatalf("DecryptFor = %q, %s, %v", pt, karn, err)
	}
	if pt, _, err := e.s.DecryptFor(ctx, blob2, nil); err != nil || string(pt) != "again" {
		t.Fatalf("DecryptFor = %q, %v", pt, err)
	}
	if _, _, err := e.s.DecryptFor(ctx, blob, nil); err == nil {
		t.Fatal("DecryptFor succeeded without the encryption context")
	}
	if id, ok := BlobKeyID(blob); !ok || !strings.HasSuffix(arn, id) {
		t.Fatalf("BlobKeyID = %s, %v", id, ok)
	}
	_, err = e.client.DisableKey(ctx, &kmssdk.DisableKeyInput{KeyId: m.KeyId})
	wantType[*types.UnsupportedOperationException](t, err)
	_, err = e.client.ScheduleKeyDeletion(ctx, &kmssdk.ScheduleKeyDeletionInput{KeyId: m.KeyId})
	wantType[*types.UnsupportedOperationException](t, err)
	_, _, err = e.s.EncryptFor(ctx, "alias/none", []byte("x"), nil)
	if ae, ok := awsapi.As(err); !ok || ae.Code != "NotFoundException" {
		t.Fatalf("EncryptFor unknown alias: %v", err)
	}
}

// TestNoSecretsAtRest checks that neither key material nor plaintexts reach the store.
func TestNoSecretsAtRest(t *testing.T) {
	e := newEnv(t)
	k := e.key("k")
	secret := "THE-PLAINTEXT-THAT-MUST-NOT-BE-STORED"
	e.encrypt(*k.KeyId, secret, nil)
	if _, _, err := e.s.EncryptFor(e.ctx, "alias/aws/ssm", []byte(secret), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.RotateKeyOnDemand(e.ctx, &kmssdk.RotateKeyOnDemandInput{KeyId: k.KeyId}); err != nil {
		t.Fatal(err)
	}
	// Collect every key's material in plaintext, to look for it in the file.
	var materials [][]byte
	for _, id := range []string{*k.KeyId} {
		var rec *keyRecord
		if err := e.db.View(func(tx *storeTx) (err error) { rec, err = e.s.resolve(tx, id, false); return err }); err != nil {
			t.Fatal(err)
		}
		for i := range rec.Versions {
			m, err := e.s.material(rec, i)
			if err != nil {
				t.Fatal(err)
			}
			materials = append(materials, m)
		}
	}
	if len(materials) != 2 {
		t.Fatalf("%d versions", len(materials))
	}
	raw, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the store file contains the plaintext")
	}
	for _, m := range materials {
		for _, enc := range [][]byte{m, []byte(b64(m))} {
			if bytes.Contains(raw, enc) {
				t.Fatal("the store file contains key material")
			}
		}
	}
	if !bytes.Contains(raw, []byte(*k.KeyId)) {
		t.Fatal("the store file does not even contain the key id: wrong file?")
	}
}
