package kms

import (
	"context"
	"reflect"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// resources returns the key ARN an operation is authorized on: the key its KeyId (or
// DestinationKeyId, TargetKeyId) names, resolved through aliases, or for Decrypt
// without a KeyId the key its ciphertext blob names. Operations on no key (CreateKey,
// ListKeys, GenerateRandom...) are authorized on "*".
func (s *Service) resources(ctx context.Context, in any) []string {
	v := reflect.ValueOf(in)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var ids []string
	for _, field := range []string{"KeyId", "DestinationKeyId", "TargetKeyId"} {
		if id := stringField(v, field); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		if f := v.FieldByName("CiphertextBlob"); f.IsValid() && f.Kind() == reflect.Slice {
			if id, ok := BlobKeyID(f.Bytes()); ok {
				ids = append(ids, id)
			}
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.resolvedARN(ctx, id))
	}
	return out
}

// resolvedARN resolves a key id, ARN or alias to the key's ARN; an unknown key keeps an ARN
// built from what was given, so that authorization still has a resource to check.
func (s *Service) resolvedARN(ctx context.Context, id string) string {
	var arn string
	err := s.view(ctx, func(tx *store.Tx) error {
		k, err := s.resolve(tx, id, true)
		if err == nil {
			arn = k.ARN
		}
		return nil
	})
	if err == nil && arn != "" {
		return arn
	}
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return s.keyARN(id)
}

func stringField(v reflect.Value, name string) string {
	f := v.FieldByName(name)
	switch {
	case !f.IsValid():
		return ""
	case f.Kind() == reflect.String:
		return f.String()
	case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String:
		return f.Elem().String()
	}
	return ""
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		op.Resources = s.resources
		ops[name] = op
	}
	return ops
}
