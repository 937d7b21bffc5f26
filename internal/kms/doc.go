// Package kms is Wharf's AWS Key Management Service: customer and AWS managed keys
// (symmetric AES-256-GCM, HMAC and RSA), aliases, envelope encryption with encryption
// context, data keys, enable/disable, scheduled deletion, automatic and on-demand
// rotation, key policies, tags, grants and imported key material.
//
// Key material is never stored in plaintext: every key version is sealed with
// AES-256-GCM under the master key given in Config (see LoadMasterKey). Ciphertext
// blobs are self-describing: they name the key and the key version that made them, so
// old ciphertexts still decrypt after a rotation.
//
// The package speaks no wire protocol: API describes the operations for the gateway,
// and EncryptFor/DecryptFor serve other services (SSM) in process.
package kms
