package ecs

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// CreatedAt filters service deployments by their creation time.
type CreatedAt struct {
	After  *time.Time `json:"after,omitempty"`
	Before *time.Time `json:"before,omitempty"`
}

// ListServiceDeploymentsInput is the input of ListServiceDeployments.
type ListServiceDeploymentsInput struct {
	Cluster    *string    `json:"cluster,omitempty"`
	Service    *string    `json:"service,omitempty"`
	Status     []string   `json:"status,omitempty"`
	CreatedAt  *CreatedAt `json:"createdAt,omitempty"`
	MaxResults *int32     `json:"maxResults,omitempty"`
	NextToken  *string    `json:"nextToken,omitempty"`
}

// ListServiceDeploymentsOutput is the output of ListServiceDeployments.
type ListServiceDeploymentsOutput struct {
	ServiceDeployments []ServiceDeploymentBrief `json:"serviceDeployments"`
	NextToken          *string                  `json:"nextToken,omitempty"`
}

// DescribeServiceDeploymentsInput is the input of DescribeServiceDeployments.
type DescribeServiceDeploymentsInput struct {
	ServiceDeploymentArns []string `json:"serviceDeploymentArns,omitempty"`
}

// DescribeServiceDeploymentsOutput is the output of DescribeServiceDeployments.
type DescribeServiceDeploymentsOutput struct {
	ServiceDeployments []ServiceDeployment `json:"serviceDeployments"`
	Failures           []Failure           `json:"failures"`
}

// DescribeServiceRevisionsInput is the input of DescribeServiceRevisions.
type DescribeServiceRevisionsInput struct {
	ServiceRevisionArns []string `json:"serviceRevisionArns,omitempty"`
}

// DescribeServiceRevisionsOutput is the output of DescribeServiceRevisions.
type DescribeServiceRevisionsOutput struct {
	ServiceRevisions []ServiceRevision `json:"serviceRevisions"`
	Failures         []Failure         `json:"failures"`
}

// StopServiceDeploymentInput is the input of StopServiceDeployment.
type StopServiceDeploymentInput struct {
	ServiceDeploymentArn *string `json:"serviceDeploymentArn,omitempty"`
	StopType             string  `json:"stopType,omitempty"` // ROLLBACK
}

// StopServiceDeploymentOutput is the output of StopServiceDeployment.
type StopServiceDeploymentOutput struct {
	ServiceDeploymentArn *string `json:"serviceDeploymentArn,omitempty"`
}

// ContinueServiceDeploymentInput is the input of ContinueServiceDeployment.
type ContinueServiceDeploymentInput struct {
	ServiceDeploymentArn *string `json:"serviceDeploymentArn,omitempty"`
	HookId               *string `json:"hookId,omitempty"`
	Action               string  `json:"action,omitempty"` // CONTINUE (default), ROLLBACK
}

// ContinueServiceDeploymentOutput is the output of ContinueServiceDeployment.
type ContinueServiceDeploymentOutput struct {
	ServiceDeploymentArn *string `json:"serviceDeploymentArn,omitempty"`
}

var sdStatuses = []string{sdPending, sdSuccessful, sdStopped, sdStopRequested, sdInProgress,
	sdRollbackRequested, sdRollbackInProgress, sdRollbackSuccessful, sdRollbackFailed}

// ListServiceDeployments lists the service deployments of a service, newest first (20
// a page unless maxResults says otherwise), optionally only those with given statuses
// or created in a time range.
func (s *Service) ListServiceDeployments(ctx context.Context, in *ListServiceDeploymentsInput) (*ListServiceDeploymentsOutput, error) {
	if deref(in.Service) == "" {
		return nil, errInvalid("service is required.")
	}
	for _, st := range in.Status {
		if !slices.Contains(sdStatuses, st) {
			return nil, errInvalid("status: '%s' is not a valid value; valid values are %s.", st, strings.Join(sdStatuses, ", "))
		}
	}
	cluster, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	type item struct {
		key   string
		brief ServiceDeploymentBrief
	}
	var items []item
	err = s.view(ctx, func(tx *store.Tx) error {
		if found, err := get(tx, bucketClusters, cluster, &Cluster{}); err != nil {
			return err
		} else if !found {
			return errClusterNotFound()
		}
		rec, found, err := s.lookupService(tx, cluster, *in.Service)
		if err != nil {
			return err
		}
		if !found {
			return errServiceNotFound()
		}
		sds, err := store.List[sdRecord](tx, bucketServiceDeployments, childKey(cluster, rec.Service.ServiceName)+"/")
		if err != nil {
			return err
		}
		for _, r := range sds {
			sd := r.SD
			if len(in.Status) > 0 && !slices.Contains(in.Status, sd.Status) {
				continue
			}
			if c := in.CreatedAt; c != nil && sd.CreatedAt != nil &&
				(c.After != nil && sd.CreatedAt.Before(*c.After) || c.Before != nil && sd.CreatedAt.After(*c.Before)) {
				continue
			}
			b := ServiceDeploymentBrief{
				ServiceDeploymentArn: sd.ServiceDeploymentArn, ServiceArn: sd.ServiceArn, ClusterArn: sd.ClusterArn,
				CreatedAt: sd.CreatedAt, StartedAt: sd.StartedAt, FinishedAt: sd.FinishedAt,
				Status: sd.Status, StatusReason: sd.StatusReason,
			}
			if sd.TargetServiceRevision != nil {
				b.TargetServiceRevisionArn = sd.TargetServiceRevision.Arn
			}
			items = append(items, item{key: deref(sd.CreatedAt).UTC().Format("20060102150405.000000000") + "/" + idOf(sd.ServiceDeploymentArn), brief: b})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(b.key, a.key) })
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.key
	}
	lo, hi, next, err := page(keys, true, in.NextToken, in.MaxResults, 20)
	if err != nil {
		return nil, err
	}
	out := &ListServiceDeploymentsOutput{ServiceDeployments: []ServiceDeploymentBrief{}, NextToken: next}
	for _, it := range items[lo:hi] {
		out.ServiceDeployments = append(out.ServiceDeployments, it.brief)
	}
	return out, nil
}

// DescribeServiceDeployments describes up to 20 service deployments by ARN; unknown
// ones are failures with reason MISSING.
func (s *Service) DescribeServiceDeployments(ctx context.Context, in *DescribeServiceDeploymentsInput) (*DescribeServiceDeploymentsOutput, error) {
	if err := checkBatch("serviceDeploymentArns", len(in.ServiceDeploymentArns), 20); err != nil {
		return nil, err
	}
	out := &DescribeServiceDeploymentsOutput{ServiceDeployments: []ServiceDeployment{}, Failures: []Failure{}}
	err := s.view(ctx, func(tx *store.Tx) error {
		for _, arn := range in.ServiceDeploymentArns {
			rec, _, found, err := s.loadSD(tx, arn)
			if err != nil {
				return err
			}
			if !found {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			out.ServiceDeployments = append(out.ServiceDeployments, rec.SD)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeServiceRevisions describes up to 20 service revisions by ARN; unknown ones
// are failures with reason MISSING.
func (s *Service) DescribeServiceRevisions(ctx context.Context, in *DescribeServiceRevisionsInput) (*DescribeServiceRevisionsOutput, error) {
	if err := checkBatch("serviceRevisionArns", len(in.ServiceRevisionArns), 20); err != nil {
		return nil, err
	}
	out := &DescribeServiceRevisionsOutput{ServiceRevisions: []ServiceRevision{}, Failures: []Failure{}}
	err := s.view(ctx, func(tx *store.Tx) error {
		for _, arn := range in.ServiceRevisionArns {
			rev, found, err := s.revision(tx, arn)
			if err != nil {
				return err
			}
			if !found {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			out.ServiceRevisions = append(out.ServiceRevisions, rev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sdService reads the service of a service deployment record, which must be ACTIVE.
func (s *Service) sdService(tx *store.Tx, sd *sdRecord) (serviceRecord, string, error) {
	cluster, name := clusterAndID(sd.SD.ServiceArn)
	var rec serviceRecord
	found, err := get(tx, bucketServices, childKey(cluster, name), &rec)
	if err != nil {
		return rec, "", err
	}
	if !found || rec.Service.Status != "ACTIVE" {
		return rec, "", errServiceNotActive()
	}
	return rec, cluster, nil
}

// StopServiceDeployment stops a service deployment that is pending or in progress by
// rolling it back to the service revision that last completed; the reconciler does
// the rollback. A deployment already stopping or rolling back is left to finish.
func (s *Service) StopServiceDeployment(ctx context.Context, in *StopServiceDeploymentInput) (*StopServiceDeploymentOutput, error) {
	arn := deref(in.ServiceDeploymentArn)
	if arn == "" {
		return nil, errInvalid("serviceDeploymentArn is required.")
	}
	switch in.StopType {
	case "", "ROLLBACK":
	case "ABORT":
		return nil, errInvalid("stopType ABORT is not supported; the valid value is ROLLBACK.")
	default:
		return nil, errInvalid("stopType must be ROLLBACK, got '%s'.", in.StopType)
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		rec, key, found, err := s.loadSD(tx, arn)
		if err != nil {
			return err
		}
		if !found {
			return errServiceDeploymentNotFound()
		}
		switch rec.SD.Status {
		case sdStopRequested, sdRollbackRequested, sdRollbackInProgress:
			return nil
		case sdPending, sdInProgress:
		default:
			return errConflict("The service deployment is %s and cannot be stopped.", rec.SD.Status)
		}
		svc, _, err := s.sdService(tx, &rec)
		if err != nil {
			return err
		}
		if !canRollBack(&svc, &rec) {
			return errInvalid("The service deployment cannot be rolled back: the service has no earlier service revision that completed.")
		}
		rec.SD.Status, rec.SD.StatusReason, rec.SD.UpdatedAt = sdRollbackRequested, "Rollback requested by StopServiceDeployment.", ptr(s.now())
		return tx.Put(bucketServiceDeployments, key, rec)
	})
	if err != nil {
		return nil, err
	}
	return &StopServiceDeploymentOutput{ServiceDeploymentArn: ptr(arn)}, nil
}

// canRollBack reports whether a service deployment has a deployment to roll back to:
// the one that last completed, when it is not the deployment's own.
func canRollBack(svc *serviceRecord, sd *sdRecord) bool {
	to := svc.Production
	if trafficShifting(sd.strategy()) {
		to = sd.From
	}
	_, known := svc.Deploys[to]
	return to != "" && to != sd.Target && known
}

// ContinueServiceDeployment acts on a lifecycle hook that a service deployment waits
// for: CONTINUE (the default) lets it go on, ROLLBACK rolls it back.
func (s *Service) ContinueServiceDeployment(ctx context.Context, in *ContinueServiceDeploymentInput) (*ContinueServiceDeploymentOutput, error) {
	arn, hook := deref(in.ServiceDeploymentArn), deref(in.HookId)
	if arn == "" {
		return nil, errInvalid("serviceDeploymentArn is required.")
	}
	if hook == "" {
		return nil, errInvalid("hookId is required.")
	}
	action := in.Action
	switch action {
	case "":
		action = hookActionContinue
	case hookActionContinue, hookActionRollback:
	default:
		return nil, errInvalid("action must be CONTINUE or ROLLBACK, got '%s'.", in.Action)
	}
	err := s.update(ctx, func(tx *store.Tx) error {
		rec, key, found, err := s.loadSD(tx, arn)
		if err != nil {
			return err
		}
		if !found {
			return errServiceDeploymentNotFound()
		}
		i := slices.IndexFunc(rec.SD.LifecycleHookDetails, func(d DeploymentLifecycleHookDetail) bool { return d.HookId == hook })
		if i < 0 {
			return errInvalid("The lifecycle hook %s is not a hook of service deployment %s.", hook, arn)
		}
		d := &rec.SD.LifecycleHookDetails[i]
		if d.Status != hookAwaitingAction || finished(rec.SD.Status) {
			return errConflict("The lifecycle hook %s is %s and does not await an action.", hook, d.Status)
		}
		if _, _, err := s.sdService(tx, &rec); err != nil {
			return err
		}
		now := s.now()
		if action == hookActionContinue {
			d.Status = hookSucceeded
		} else {
			d.Status = hookFailed
			if rec.SD.Status == sdPending || rec.SD.Status == sdInProgress {
				rec.SD.Status, rec.SD.StatusReason = sdRollbackRequested, "Rollback requested for lifecycle hook "+hook+"."
			}
		}
		rec.SD.UpdatedAt = ptr(now)
		return tx.Put(bucketServiceDeployments, key, rec)
	})
	if err != nil {
		return nil, err
	}
	return &ContinueServiceDeploymentOutput{ServiceDeploymentArn: ptr(arn)}, nil
}
