package autoscaling

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

// Buckets of the store.
const (
	bucketTargets   = "autoscaling.targets"   // targetKey.key() → targetRecord
	bucketTargetIDs = "autoscaling.targetids" // scalable target id → targetKey.key()
	bucketPolicies  = "autoscaling.policies"  // targetKey.key() "\x00" policy name → policyRecord
	bucketCooldowns = "autoscaling.cooldowns" // policy key → cooldownRecord
	bucketScheduled = "autoscaling.scheduled" // targetKey.key() "\x00" action name → scheduledRecord
	bucketActivity  = "autoscaling.activity"  // targetKey.key() "\x00" inverted time (20 digits) sequence → activityRecord
)

// targetRecord is a registered scalable target.
type targetRecord struct {
	targetKey
	ID         string            `json:"id"`
	Min        int32             `json:"min"`
	Max        int32             `json:"max"`
	RoleARN    string            `json:"role,omitempty"`
	InSusp     bool              `json:"in_suspended,omitempty"`
	OutSusp    bool              `json:"out_suspended,omitempty"`
	SchedSusp  bool              `json:"scheduled_suspended,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
	Registered time.Time         `json:"registered"`
}

// policyRecord is a scaling policy.
type policyRecord struct {
	targetKey
	Name      string                                    `json:"name"`
	ID        string                                    `json:"id"`         // the UUID of its ARN
	CreatedBy string                                    `json:"created_by"` // the UUID of its alarms' action
	Type      string                                    `json:"type"`
	Step      *StepScalingPolicyConfiguration           `json:"step,omitempty"`
	Tracking  *TargetTrackingScalingPolicyConfiguration `json:"tracking,omitempty"`
	AlarmHigh string                                    `json:"alarm_high,omitempty"`
	AlarmLow  string                                    `json:"alarm_low,omitempty"`
	Created   time.Time                                 `json:"created"`
}

// cooldownRecord is what a policy remembers of its last scaling activities.
type cooldownRecord struct {
	OutAt   time.Time `json:"out_at,omitzero"`
	OutBase int32     `json:"out_base"` // the capacity before that scale-out
	InAt    time.Time `json:"in_at,omitzero"`
}

// scheduledRecord is a scheduled action.
type scheduledRecord struct {
	targetKey
	Name     string     `json:"name"`
	ID       string     `json:"id"`
	Schedule string     `json:"schedule"`
	Timezone string     `json:"timezone,omitempty"`
	Start    *time.Time `json:"start,omitempty"`
	End      *time.Time `json:"end,omitempty"`
	Min      *int32     `json:"min,omitempty"`
	Max      *int32     `json:"max,omitempty"`
	Created  time.Time  `json:"created"`
	NextRun  *time.Time `json:"next_run,omitempty"`
	LastRun  *time.Time `json:"last_run,omitempty"`
}

func policyKey(k targetKey, name string) string { return k.key() + "\x00" + name }
func actionKey(k targetKey, name string) string { return k.key() + "\x00" + name }
func (p *policyRecord) key() string             { return policyKey(p.targetKey, p.Name) }
func (a *scheduledRecord) key() string          { return actionKey(a.targetKey, a.Name) }
func namespacePrefix(ns string) string          { return ns + "\x00" }
func resourcePrefix(ns, rid string) string      { return ns + "\x00" + rid + "\x00" }
func childPrefix(k targetKey) string            { return k.key() + "\x00" }
func (s *Service) arnBase(service string) string {
	return "arn:aws:" + service + ":" + s.region + ":" + s.account + ":"
}

// targetID returns the id of a scalable target's ARN: derived from its identity, so
// that an authorization can name the ARN of a target before it is registered.
func (s *Service) targetID(k targetKey) string {
	sum := sha256.Sum256([]byte(s.account + "\x00" + s.region + "\x00" + k.key()))
	return hex.EncodeToString(sum[:18])
}

// targetARN returns a scalable target's ARN.
func (s *Service) targetARN(id string) string {
	return s.arnBase("application-autoscaling") + "scalable-target/" + id
}

// policyARN returns a scaling policy's ARN, as AWS writes it.
func (s *Service) policyARN(p *policyRecord) string {
	return s.arnBase("autoscaling") + "scalingPolicy:" + p.ID + ":resource/" + p.Namespace + "/" + p.ResourceID + ":policyName/" + p.Name
}

// alarmAction returns the action the alarms of a target tracking policy invoke: the
// policy ARN with AWS's createdBy suffix.
func (s *Service) alarmAction(p *policyRecord) string {
	return s.policyARN(p) + ":createdBy/" + p.CreatedBy
}

// actionARN returns a scheduled action's ARN.
func (s *Service) actionARN(a *scheduledRecord) string {
	return s.arnBase("autoscaling") + "scheduledAction:" + a.ID + ":resource/" + a.Namespace + "/" + a.ResourceID + ":scheduledActionName/" + a.Name
}

// alarmARN returns a CloudWatch alarm's ARN.
func (s *Service) alarmARN(name string) string { return s.arnBase("cloudwatch") + "alarm:" + name }

// policyRef is what a policy ARN names.
type policyRef struct {
	Region, Account string
	ID              string
	Namespace       string
	ResourceID      string
	Name            string
}

// parsePolicyARN parses arn:aws:autoscaling:<region>:<account>:scalingPolicy:<id>:
// resource/<namespace>/<resource id>:policyName/<name>, with or without the
// :createdBy/<uuid> suffix of alarm actions.
func parsePolicyARN(arn string) (policyRef, bool) {
	var r policyRef
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return r, false
	}
	parts := strings.SplitN(rest, ":", 5) // partition, service, region, account, rest
	if len(parts) != 5 || parts[1] != "autoscaling" || parts[0] == "" {
		return r, false
	}
	r.Region, r.Account = parts[2], parts[3]
	rest, ok = strings.CutPrefix(parts[4], "scalingPolicy:")
	if !ok {
		return r, false
	}
	id, rest, ok := strings.Cut(rest, ":resource/")
	if !ok || id == "" {
		return r, false
	}
	r.ID = id
	res, name, ok := strings.Cut(rest, ":policyName/")
	if !ok {
		return r, false
	}
	if i := strings.LastIndex(name, ":createdBy/"); i >= 0 {
		name = name[:i]
	}
	ns, rid, ok := strings.Cut(res, "/")
	if !ok || ns == "" || rid == "" || name == "" {
		return r, false
	}
	r.Namespace, r.ResourceID, r.Name = ns, rid, name
	return r, true
}

// getTarget reads a scalable target; nil when it is not registered.
func getTarget(tx *store.Tx, k targetKey) (*targetRecord, error) {
	var t targetRecord
	err := tx.Get(bucketTargets, k.key(), &t)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// getPolicy reads a scaling policy; nil when it does not exist.
func getPolicy(tx *store.Tx, k targetKey, name string) (*policyRecord, error) {
	var p policyRecord
	err := tx.Get(bucketPolicies, policyKey(k, name), &p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// getAction reads a scheduled action; nil when it does not exist.
func getAction(tx *store.Tx, k targetKey, name string) (*scheduledRecord, error) {
	var a scheduledRecord
	err := tx.Get(bucketScheduled, actionKey(k, name), &a)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}
