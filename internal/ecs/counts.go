package ecs

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// ServiceCount is the desired and running task counts of one active service.
type ServiceCount struct {
	Cluster string // cluster name
	Service string // service name
	Desired int32
	Running int32
	Pending int32
}

// ServiceCounts lists the task counts of every active service, for the metrics Wharf
// publishes (ECS/ContainerInsights RunningTaskCount and DesiredTaskCount).
func (s *Service) ServiceCounts(ctx context.Context) ([]ServiceCount, error) {
	var out []ServiceCount
	err := s.view(ctx, func(tx *store.Tx) error {
		recs, err := servicesOf(tx, "")
		if err != nil {
			return err
		}
		for _, r := range recs {
			svc := r.Service
			if svc.Status != "ACTIVE" {
				continue
			}
			out = append(out, ServiceCount{
				Cluster: svc.ClusterArn[strings.LastIndexByte(svc.ClusterArn, '/')+1:], Service: svc.ServiceName,
				Desired: svc.DesiredCount, Running: svc.RunningCount, Pending: svc.PendingCount,
			})
		}
		return nil
	})
	return out, err
}
