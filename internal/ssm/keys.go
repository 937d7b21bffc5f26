package ssm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// defaultKeyID is the AWS managed key SecureStrings use when PutParameter names none.
const defaultKeyID = "alias/aws/ssm"

// encryptionContext is the context AWS binds a SecureString's ciphertext to.
func (s *Service) encryptionContext(name string) map[string]string {
	return map[string]string{"PARAMETER_ARN": s.arn(name)}
}

// encrypt encrypts a SecureString value and returns the ciphertext in base64.
func (s *Service) encrypt(ctx context.Context, name, keyID, plaintext string) (string, error) {
	if s.keys == nil {
		return "", errInternal("SecureString parameters need KMS, which is not configured.")
	}
	ct, _, err := s.keys.EncryptFor(ctx, keyID, []byte(plaintext), s.encryptionContext(name))
	if err != nil {
		return "", s.kmsError(err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// decrypt decrypts a stored SecureString value (base64 ciphertext).
func (s *Service) decrypt(ctx context.Context, name, stored string) (string, error) {
	if s.keys == nil {
		return "", errInternal("SecureString parameters need KMS, which is not configured.")
	}
	ct, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		s.log.Error("ssm: stored ciphertext is not base64", "parameter", name)
		return "", errInternal("The stored value of %s is corrupt.", name)
	}
	pt, _, err := s.keys.DecryptFor(ctx, ct, s.encryptionContext(name))
	if err != nil {
		return "", s.kmsError(err)
	}
	return string(pt), nil
}

// kmsError maps a KMS failure to the error SSM answers with: problems with the key
// become InvalidKeyId carrying KMS's message, access denials pass through, and the
// rest are internal errors.
func (s *Service) kmsError(err error) error {
	e, ok := awsapi.As(err)
	if !ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		s.log.Error("ssm: kms failure", "err", err)
		return errInternal("KMS failed: %v", err)
	}
	switch e.Code {
	case "NotFoundException", "DisabledException", "KMSInvalidStateException",
		"InvalidCiphertextException", "IncorrectKeyException", "InvalidKeyUsageException",
		"InvalidArnException", "InvalidGrantTokenException":
		return awsapi.Errorf("InvalidKeyId", "%s (Service: AWSKMS; Error Code: %s)", e.Message, e.Code)
	case "AccessDeniedException":
		return &awsapi.Error{Code: "AccessDeniedException", Message: fmt.Sprintf("%s (Service: AWSKMS; Error Code: %s)", e.Message, e.Code), Status: e.Status}
	case "ThrottlingException":
		return &awsapi.Error{Code: "ThrottlingException", Message: e.Message, Status: e.Status}
	}
	return errInternal("%s (Service: AWSKMS; Error Code: %s)", e.Message, e.Code)
}
