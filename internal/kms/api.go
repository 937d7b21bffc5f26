package kms

import "github.com/wharf-dev/wharf/internal/awsapi"

// API describes the KMS API for the gateway: awsJson1_1 with the target prefix
// TrentService and SigV4 name "kms".
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:  "kms",
		TargetPrefix: "TrentService",
		Protocols:    []awsapi.Protocol{awsapi.JSON11},
		ResourceTags: s.ResourceTags,
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("CreateKey", s.CreateKey),
			awsapi.Op("DescribeKey", s.DescribeKey),
			awsapi.Op("ListKeys", s.ListKeys),
			awsapi.Op("EnableKey", s.EnableKey),
			awsapi.Op("DisableKey", s.DisableKey),
			awsapi.Op("ScheduleKeyDeletion", s.ScheduleKeyDeletion),
			awsapi.Op("CancelKeyDeletion", s.CancelKeyDeletion),
			awsapi.Op("UpdateKeyDescription", s.UpdateKeyDescription),

			awsapi.Op("CreateAlias", s.CreateAlias),
			awsapi.Op("UpdateAlias", s.UpdateAlias),
			awsapi.Op("DeleteAlias", s.DeleteAlias),
			awsapi.Op("ListAliases", s.ListAliases),

			awsapi.Op("Encrypt", s.Encrypt),
			awsapi.Op("Decrypt", s.Decrypt),
			awsapi.Op("ReEncrypt", s.ReEncrypt),
			awsapi.Op("GenerateDataKey", s.GenerateDataKey),
			awsapi.Op("GenerateDataKeyWithoutPlaintext", s.GenerateDataKeyWithoutPlaintext),
			awsapi.Op("GenerateRandom", s.GenerateRandom),

			awsapi.Op("EnableKeyRotation", s.EnableKeyRotation),
			awsapi.Op("DisableKeyRotation", s.DisableKeyRotation),
			awsapi.Op("GetKeyRotationStatus", s.GetKeyRotationStatus),
			awsapi.Op("RotateKeyOnDemand", s.RotateKeyOnDemand),
			awsapi.Op("ListKeyRotations", s.ListKeyRotations),

			awsapi.Op("GetKeyPolicy", s.GetKeyPolicy),
			awsapi.Op("PutKeyPolicy", s.PutKeyPolicy),
			awsapi.Op("ListKeyPolicies", s.ListKeyPolicies),

			awsapi.Op("TagResource", s.TagResource),
			awsapi.Op("UntagResource", s.UntagResource),
			awsapi.Op("ListResourceTags", s.ListResourceTags),

			awsapi.Op("CreateGrant", s.CreateGrant),
			awsapi.Op("ListGrants", s.ListGrants),
			awsapi.Op("RevokeGrant", s.RevokeGrant),
			awsapi.Op("RetireGrant", s.RetireGrant),

			awsapi.Op("GetParametersForImport", s.GetParametersForImport),
			awsapi.Op("ImportKeyMaterial", s.ImportKeyMaterial),
			awsapi.Op("DeleteImportedKeyMaterial", s.DeleteImportedKeyMaterial),

			awsapi.Op("GenerateMac", s.GenerateMac),
			awsapi.Op("VerifyMac", s.VerifyMac),
			awsapi.Op("Sign", s.Sign),
			awsapi.Op("Verify", s.Verify),
			awsapi.Op("GetPublicKey", s.GetPublicKey),
		)),
	}
}
