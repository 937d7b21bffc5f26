//go:build !unix

package cloudtrail

// processCPU is not measured off Unix (see cpu_unix_test.go).
func processCPU() int64 { return 0 }
