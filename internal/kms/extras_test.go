package kms

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kmssdk "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

func TestHMAC(t *testing.T) {
	e := newEnv(t)
	k, err := e.client.CreateKey(e.ctx, &kmssdk.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})
	if err != nil {
		t.Fatal(err)
	}
	if got := k.KeyMetadata.MacAlgorithms; len(got) != 1 || got[0] != types.MacAlgorithmSpecHmacSha256 {
		t.Fatalf("MacAlgorithms %v", got)
	}
	id := k.KeyMetadata.KeyId
	mac, err := e.client.GenerateMac(e.ctx, &kmssdk.GenerateMacInput{KeyId: id, MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: []byte("msg")})
	if err != nil || len(mac.Mac) != 32 {
		t.Fatalf("GenerateMac = %v, %v", mac, err)
	}
	v, err := e.client.VerifyMac(e.ctx, &kmssdk.VerifyMacInput{KeyId: id, MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: []byte("msg"), Mac: mac.Mac})
	if err != nil || !v.MacValid {
		t.Fatalf("VerifyMac = %v, %v", v, err)
	}
	_, err = e.client.VerifyMac(e.ctx, &kmssdk.VerifyMacInput{KeyId: id, MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: []byte("other"), Mac: mac.Mac})
	wantType[*types.KMSInvalidMacException](t, err)
	_, err = e.client.GenerateMac(e.ctx, &kmssdk.GenerateMacInput{KeyId: id, MacAlgorithm: types.MacAlgorithmSpecHmacSha512, Message: []byte("msg")})
	wantType[*types.InvalidKeyUsageException](t, err)
	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	wantType[*types.InvalidKeyUsageException](t, err)
	sym := e.key("sym")
	_, err = e.client.GenerateMac(e.ctx, &kmssdk.GenerateMacInput{KeyId: sym.KeyId, MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: []byte("msg")})
	wantType[*types.InvalidKeyUsageException](t, err)
}

func TestRSA(t *testing.T) {
	e := newEnv(t)
	sk, err := e.client.CreateKey(e.ctx, &kmssdk.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	id := sk.KeyMetadata.KeyId
	pub, err := e.client.GetPublicKey(e.ctx, &kmssdk.GetPublicKeyInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.ParsePKIXPublicKey(pub.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecRsassaPssSha256, types.SigningAlgorithmSpecRsassaPkcs1V15Sha256} {
		sig, err := e.client.Sign(e.ctx, &kmssdk.SignInput{KeyId: id, Message: []byte("document"), SigningAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256([]byte("document"))
		// The signature verifies locally with the public key, as clients check it.
		if alg == types.SigningAlgorithmSpecRsassaPssSha256 {
			err = rsa.VerifyPSS(pk.(*rsa.PublicKey), 5, digest[:], sig.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			err = rsa.VerifyPKCS1v15(pk.(*rsa.PublicKey), 5, digest[:], sig.Signature)
		}
		if err != nil {
			t.Fatalf("%s: local verification: %v", alg, err)
		}
		v, err := e.client.Verify(e.ctx, &kmssdk.VerifyInput{KeyId: id, Message: digest[:], MessageType: types.MessageTypeDigest, Signature: sig.Signature, SigningAlgorithm: alg})
		if err != nil || !v.SignatureValid {
			t.Fatalf("Verify = %v, %v", v, err)
		}
		_, err = e.client.Verify(e.ctx, &kmssdk.VerifyInput{KeyId: id, Message: []byte("forged"), Signature: sig.Signature, SigningAlgorithm: alg})
		wantType[*types.KMSInvalidSignatureException](t, err)
	}
	ek, err := e.client.CreateKey(e.ctx, &kmssdk.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: ek.KeyMetadata.KeyId, Plaintext: []byte("rsa secret"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{KeyId: ek.KeyMetadata.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if err != nil || string(dec.Plaintext) != "rsa secret" {
		t.Fatalf("Decrypt = %v, %v", dec, err)
	}
	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: ek.KeyMetadata.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, "ValidationException", "EncryptionAlgorithm")
	_, err = e.client.Sign(e.ctx, &kmssdk.SignInput{KeyId: ek.KeyMetadata.KeyId, Message: []byte("x"), SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
	wantType[*types.InvalidKeyUsageException](t, err)
	_, err = e.client.GetPublicKey(e.ctx, &kmssdk.GetPublicKeyInput{KeyId: e.key("sym").KeyId})
	wantType[*types.UnsupportedOperationException](t, err)
}

func TestGrants(t *testing.T) {
	e := newEnv(t)
	k := e.key("k")
	g, err := e.client.CreateGrant(e.ctx, &kmssdk.CreateGrantInput{
		KeyId: k.KeyId, GranteePrincipal: aws.String("arn:aws:iam::000000000000:role/app"),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationEncrypt}, Name: aws.String("app"),
	})
	if err != nil || aws.ToString(g.GrantId) == "" || aws.ToString(g.GrantToken) == "" {
		t.Fatalf("CreateGrant = %v, %v", g, err)
	}
	g2, err := e.client.CreateGrant(e.ctx, &kmssdk.CreateGrantInput{KeyId: k.KeyId, GranteePrincipal: aws.String("arn:aws:iam::000000000000:role/other"), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.client.ListGrants(e.ctx, &kmssdk.ListGrantsInput{KeyId: k.KeyId})
	if err != nil || len(list.Grants) != 2 {
		t.Fatalf("ListGrants = %+v, %v", list, err)
	}
	_, err = e.client.CreateGrant(e.ctx, &kmssdk.CreateGrantInput{KeyId: k.KeyId, GranteePrincipal: aws.String("x"), Operations: []types.GrantOperation{"Fly"}})
	wantCode(t, err, "ValidationException", "operations")
	if _, err := e.client.RevokeGrant(e.ctx, &kmssdk.RevokeGrantInput{KeyId: k.KeyId, GrantId: g2.GrantId}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.RevokeGrant(e.ctx, &kmssdk.RevokeGrantInput{KeyId: k.KeyId, GrantId: g2.GrantId})
	wantType[*types.NotFoundException](t, err)
	_, err = e.client.RetireGrant(e.ctx, &kmssdk.RetireGrantInput{GrantToken: aws.String("bogus")})
	wantType[*types.InvalidGrantTokenException](t, err)
	if _, err := e.client.RetireGrant(e.ctx, &kmssdk.RetireGrantInput{GrantToken: g.GrantToken}); err != nil {
		t.Fatal(err)
	}
	list, _ = e.client.ListGrants(e.ctx, &kmssdk.ListGrantsInput{KeyId: k.KeyId})
	if len(list.Grants) != 0 {
		t.Fatalf("grants left: %+v", list.Grants)
	}
}

func TestImportKeyMaterial(t *testing.T) {
	e := newEnv(t)
	k, err := e.client.CreateKey(e.ctx, &kmssdk.CreateKeyInput{Origin: types.OriginTypeExternal})
	if err != nil {
		t.Fatal(err)
	}
	id := k.KeyMetadata.KeyId
	if k.KeyMetadata.KeyState != types.KeyStatePendingImport || k.KeyMetadata.Origin != types.OriginTypeExternal {
		t.Fatalf("metadata %+v", k.KeyMetadata)
	}
	_, err = e.client.Encrypt(e.ctx, &kmssdk.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	wantType[*types.KMSInvalidStateException](t, err)
	_, err = e.client.GetParametersForImport(e.ctx, &kmssdk.GetParametersForImportInput{KeyId: e.key("native").KeyId, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	wantType[*types.UnsupportedOperationException](t, err)

	params, err := e.client.GetParametersForImport(e.ctx, &kmssdk.GetParametersForImportInput{KeyId: id, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	if err != nil {
		t.Fatal(err)
	}
	if !params.ParametersValidTo.Equal(e.clock.Now().Add(24 * time.Hour)) {
		t.Fatalf("valid to %v", params.ParametersValidTo)
	}
	pub, err := x509.ParsePKIXPublicKey(params.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	material := make([]byte, 32)
	rand.Read(material)
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), material, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.ImportKeyMaterial(e.ctx, &kmssdk.ImportKeyMaterialInput{KeyId: id, ImportToken: []byte("forged"), EncryptedKeyMaterial: wrapped})
	wantType[*types.InvalidImportTokenException](t, err)
	short, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), material[:16], nil)
	_, err = e.client.ImportKeyMaterial(e.ctx, &kmssdk.ImportKeyMaterialInput{KeyId: id, ImportToken: params.ImportToken, EncryptedKeyMaterial: short})
	wantType[*types.IncorrectKeyMaterialException](t, err)
	if _, err := e.client.ImportKeyMaterial(e.ctx, &kmssdk.ImportKeyMaterialInput{KeyId: id, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped}); err != nil {
		t.Fatal(err)
	}
	if s := e.state(*id); s != types.KeyStateEnabled {
		t.Fatalf("state after import %s", s)
	}
	blob := e.encrypt(*id, "byok", nil)
	if e.decrypt(blob, nil) != "byok" {
		t.Fatal("round trip with imported material failed")
	}
	// The blob is AES-256-GCM under exactly the imported material.
	if pt, err := openWith(material, blob, nil); err != nil || string(pt) != "byok" {
		t.Fatalf("decrypting with the imported material: %q, %v", pt, err)
	}

	// An expired token, then delete and re-import the same material.
	params, err = e.client.GetParametersForImport(e.ctx, &kmssdk.GetParametersForImportInput{KeyId: id, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(25 * time.Hour)
	_, err = e.client.ImportKeyMaterial(e.ctx, &kmssdk.ImportKeyMaterialInput{KeyId: id, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped})
	wantType[*types.ExpiredImportTokenException](t, err)
	if _, err := e.client.DeleteImportedKeyMaterial(e.ctx, &kmssdk.DeleteImportedKeyMaterialInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Decrypt(e.ctx, &kmssdk.DecryptInput{CiphertextBlob: blob})
	wantType[*types.KMSInvalidStateException](t, err)
	params, _ = e.client.GetParametersForImport(e.ctx, &kmssdk.GetParametersForImportInput{KeyId: id, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha1, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	pub, _ = x509.ParsePKIXPublicKey(params.PublicKey)
	wrapped, _ = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), material, nil)
	_, err = e.client.ImportKeyMaterial(e.ctx, &kmssdk.ImportKeyMaterialInput{KeyId: id, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped})
	wantType[*types.InvalidCiphertextException](t, err) // wrapped with SHA-256, token says SHA-1
}
