package cloudtrail

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// resources returns the trail ARNs an operation is authorized on, as the service
// authorization reference lists them: the trail a call names (by name or by ARN) for
// the trail operations; nil ("*") for LookupEvents, DescribeTrails and ListTrails.
func (s *Service) resources(_ context.Context, in any) []string {
	var name string
	switch v := in.(type) {
	case *CreateTrailInput: // also UpdateTrailInput, an alias
		if v.Name != nil {
			name = *v.Name
		}
	case *NameInput:
		if v.Name != nil {
			name = *v.Name
		}
	}
	if name == "" {
		return nil
	}
	if strings.HasPrefix(name, "arn:") {
		// A trail ARN of this region and account is resolved by its name (trailName),
		// whatever its partition: authorize on the ARN CloudTrail gives the trail.
		parts := strings.SplitN(name, ":", 6)
		if len(parts) == 6 && parts[2] == "cloudtrail" && parts[3] == s.region && parts[4] == s.account &&
			strings.HasPrefix(parts[5], "trail/") {
			return []string{s.trailARN(strings.TrimPrefix(parts[5], "trail/"))}
		}
		return []string{name}
	}
	return []string{s.trailARN(name)}
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		op.Resources = s.resources
		ops[name] = op
	}
	return ops
}
