package cloudformation

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Records kept in the store.
const (
	bucketStacks     = "cfn.stacks"     // stack id → stackRecord (deleted stacks too, until purged)
	bucketNames      = "cfn.names"      // stack name → stack id of the live stack of that name
	bucketResources  = "cfn.resources"  // stack id "\x00" logical id → resourceRecord
	bucketEvents     = "cfn.events"     // stack id "\x00" inverted sequence → eventRecord (newest first)
	bucketChangeSets = "cfn.changesets" // change set id → changeSetRecord
	bucketExports    = "cfn.exports"    // export name → exportRecord
	bucketSeq        = "cfn.seq"        // counters
)

// Stack statuses, as AWS spells them.
const (
	stCreateInProgress                        = "CREATE_IN_PROGRESS"
	stCreateFailed                            = "CREATE_FAILED"
	stCreateComplete                          = "CREATE_COMPLETE"
	stRollbackInProgress                      = "ROLLBACK_IN_PROGRESS"
	stRollbackFailed                          = "ROLLBACK_FAILED"
	stRollbackComplete                        = "ROLLBACK_COMPLETE"
	stDeleteInProgress                        = "DELETE_IN_PROGRESS"
	stDeleteFailed                            = "DELETE_FAILED"
	stDeleteComplete                          = "DELETE_COMPLETE"
	stUpdateInProgress                        = "UPDATE_IN_PROGRESS"
	stUpdateCompleteCleanupInProgress         = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	stUpdateComplete                          = "UPDATE_COMPLETE"
	stUpdateFailed                            = "UPDATE_FAILED"
	stUpdateRollbackInProgress                = "UPDATE_ROLLBACK_IN_PROGRESS"
	stUpdateRollbackFailed                    = "UPDATE_ROLLBACK_FAILED"
	stUpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
	stUpdateRollbackComplete                  = "UPDATE_ROLLBACK_COMPLETE"
	stReviewInProgress                        = "REVIEW_IN_PROGRESS"
)

// Resource statuses besides the stack ones.
const (
	rsDeleteSkipped = "DELETE_SKIPPED"
)

// stackStatuses lists every stack status ListStacks accepts in StackStatusFilter.
var stackStatuses = []string{
	stCreateInProgress, stCreateFailed, stCreateComplete, stRollbackInProgress, stRollbackFailed,
	stRollbackComplete, stDeleteInProgress, stDeleteFailed, stDeleteComplete, stUpdateInProgress,
	stUpdateCompleteCleanupInProgress, stUpdateComplete, stUpdateFailed, stUpdateRollbackInProgress,
	stUpdateRollbackFailed, stUpdateRollbackCompleteCleanupInProgress, stUpdateRollbackComplete,
	stReviewInProgress, "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS",
	"IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
}

// inProgress reports whether a stack status is an operation under way.
func inProgress(status string) bool {
	return strings.HasSuffix(status, "_IN_PROGRESS") && status != stReviewInProgress
}

// paramValue is a stack parameter as given (or defaulted), with its resolved value for
// SSM parameter types.
type paramValue struct {
	Key      string `json:"key"`
	Value    string `json:"value"`
	Resolved string `json:"resolved,omitempty"`
	NoEcho   bool   `json:"noEcho,omitempty"`
	SSM      bool   `json:"ssm,omitempty"`
}

// outputRecord is an evaluated stack output.
type outputRecord struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	ExportName  string `json:"exportName,omitempty"`
}

// tagRecord is a stack tag.
type tagRecord struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// stackConfig is what an operation deploys: a template with its parameters and the
// options that go with it.
type stackConfig struct {
	Template     string         `json:"template"`
	TemplatePath string         `json:"templatePath,omitempty"` // the file it came from, for nested TemplateURLs
	Description  string         `json:"description,omitempty"`
	Params       []paramValue   `json:"params,omitempty"`
	Capabilities []string       `json:"capabilities,omitempty"`
	Tags         []tagRecord    `json:"tags,omitempty"`
	Outputs      []outputRecord `json:"outputs,omitempty"`
	Imports      []string       `json:"imports,omitempty"` // export names the stack imports
	// Trusted is set when a root user (or Wharf itself) deployed the template: its
	// nested stacks may then name any template file.
	Trusted bool `json:"trusted,omitempty"`
}

// cleanupItem is a physical resource an update left behind, deleted in the cleanup
// phase: the old resource of a replacement or a resource removed from the template.
type cleanupItem struct {
	LogicalID  string         `json:"logicalId"`
	Type       string         `json:"type"`
	PhysicalID string         `json:"physicalId"`
	Props      map[string]any `json:"props,omitempty"`
	Attrs      map[string]any `json:"attrs,omitempty"`
	DependsOn  []string       `json:"dependsOn,omitempty"`
	Retain     bool           `json:"retain,omitempty"`  // DeletionPolicy or UpdateReplacePolicy Retain
	Removed    bool           `json:"removed,omitempty"` // the logical resource goes with it
}

// stackRecord is a stack.
type stackRecord struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Status  string    `json:"status"`
	Reason  string    `json:"reason,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated,omitzero"`
	Deleted time.Time `json:"deleted,omitzero"`
	stackConfig
	DisableRollback bool     `json:"disableRollback,omitempty"`
	Timeout         int32    `json:"timeout,omitempty"`
	Protected       bool     `json:"protected,omitempty"`
	ParentID        string   `json:"parentId,omitempty"`
	RootID          string   `json:"rootId,omitempty"`
	ChangeSetID     string   `json:"changeSetId,omitempty"`
	Tokens          []string `json:"tokens,omitempty"` // client request tokens used, "Op:token"
	// Op is the current (or last interrupted) operation's state.
	Op *opState `json:"op,omitempty"`
	// Cleanup lists what an update left to delete; an interrupted cleanup resumes it.
	Cleanup []cleanupItem `json:"cleanup,omitempty"`
}

// opState is the state of a stack operation that recovery and rollback need.
type opState struct {
	Kind  string `json:"kind"` // "create", "update", "delete"
	Token string `json:"token,omitempty"`
	// Previous is the stack's configuration before an update, for its rollback.
	Previous *stackConfig `json:"previous,omitempty"`
	// Changed lists the logical ids an update touched, in order.
	Changed []string `json:"changed,omitempty"`
	// RollbackCleanup lists the physical resources a rollback deletes at its end.
	RollbackCleanup []cleanupItem `json:"rollbackCleanup,omitempty"`
	// Retain lists the logical ids a delete keeps (RetainResources).
	Retain []string `json:"retain,omitempty"`
	// Skip lists the logical ids ContinueUpdateRollback skips.
	Skip []string `json:"skip,omitempty"`
	// OnFailure is a create's ROLLBACK, DELETE or DO_NOTHING.
	OnFailure string `json:"onFailure,omitempty"`
	// Principal is the caller whose request started the operation: providers call
	// Wharf's services as it, and a resumed cleanup does too.
	Principal *awsapi.Principal `json:"principal,omitempty"`
}

// resourceState is a resource as deployed: what an update replaces, kept for rollback.
type resourceState struct {
	Type       string         `json:"type"`
	PhysicalID string         `json:"physicalId,omitempty"`
	Props      map[string]any `json:"props,omitempty"`
	Attrs      map[string]any `json:"attrs,omitempty"`
	DependsOn  []string       `json:"dependsOn,omitempty"`
	Status     string         `json:"status,omitempty"`
}

// resourceRecord is a stack resource.
type resourceRecord struct {
	StackID        string         `json:"stackId"`
	LogicalID      string         `json:"logicalId"`
	Type           string         `json:"type"`
	PhysicalID     string         `json:"physicalId,omitempty"`
	Status         string         `json:"status"`
	Reason         string         `json:"reason,omitempty"`
	Updated        time.Time      `json:"updated"`
	Props          map[string]any `json:"props,omitempty"`
	Attrs          map[string]any `json:"attrs,omitempty"`
	DependsOn      []string       `json:"dependsOn,omitempty"`
	DeletionPolicy string         `json:"deletionPolicy,omitempty"`
	ReplacePolicy  string         `json:"replacePolicy,omitempty"`
	Metadata       string         `json:"metadata,omitempty"`
	Description    string         `json:"description,omitempty"`
	// Prior is the resource before the running update changed it; Action says how
	// ("Add", "Modify", "Replace").
	Prior  *resourceState `json:"prior,omitempty"`
	Action string         `json:"action,omitempty"`
}

// state returns the resource as deployed.
func (r *resourceRecord) state() *resourceState {
	return &resourceState{Type: r.Type, PhysicalID: r.PhysicalID, Props: r.Props, Attrs: r.Attrs, DependsOn: r.DependsOn, Status: r.Status}
}

// exists reports whether the resource has a physical resource that is (or may be) live.
func (r *resourceRecord) exists() bool {
	return r.PhysicalID != "" && r.Status != stDeleteComplete
}

// eventRecord is a stack event.
type eventRecord struct {
	ID         string    `json:"id"`
	StackID    string    `json:"stackId"`
	StackName  string    `json:"stackName"`
	LogicalID  string    `json:"logicalId"`
	PhysicalID string    `json:"physicalId,omitempty"`
	Type       string    `json:"type"`
	Time       time.Time `json:"time"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	Properties string    `json:"properties,omitempty"`
	Token      string    `json:"token,omitempty"`
}

// changeRecord is one resource change of a change set.
type changeRecord struct {
	Action      string         `json:"action"`
	LogicalID   string         `json:"logicalId"`
	PhysicalID  string         `json:"physicalId,omitempty"`
	Type        string         `json:"type"`
	Replacement string         `json:"replacement,omitempty"`
	Scope       []string       `json:"scope,omitempty"`
	Details     []detailRecord `json:"details,omitempty"`
}

// detailRecord is one changed property of a resource change.
type detailRecord struct {
	Attribute          string `json:"attribute"`
	Name               string `json:"name,omitempty"`
	RequiresRecreation string `json:"requiresRecreation,omitempty"`
	Evaluation         string `json:"evaluation"`
	ChangeSource       string `json:"changeSource,omitempty"`
	CausingEntity      string `json:"causingEntity,omitempty"`
}

// changeSetRecord is a change set.
type changeSetRecord struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	StackID         string         `json:"stackId"`
	StackName       string         `json:"stackName"`
	Type            string         `json:"type"` // CREATE, UPDATE
	Description     string         `json:"description,omitempty"`
	Status          string         `json:"status"`
	Reason          string         `json:"reason,omitempty"`
	ExecutionStatus string         `json:"executionStatus"`
	Created         time.Time      `json:"created"`
	Config          stackConfig    `json:"config"`
	Changes         []changeRecord `json:"changes,omitempty"`
	OnStackFailure  string         `json:"onStackFailure,omitempty"`
	Token           string         `json:"token,omitempty"`
	Nested          bool           `json:"nested,omitempty"`
}

// exportRecord is an exported output value.
type exportRecord struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	StackID string `json:"stackId"`
}

func resourceKey(stackID, logicalID string) string { return stackID + "\x00" + logicalID }

func eventKey(stackID string, seq uint64) string {
	return fmt.Sprintf("%s\x00%020d", stackID, math.MaxUint64-seq)
}

// getStack reads a stack by id.
func getStack(tx *store.Tx, id string) (*stackRecord, error) {
	var st stackRecord
	if err := tx.Get(bucketStacks, id, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// resources lists a stack's resources, in logical id order.
func resources(tx *store.Tx, stackID string) ([]*resourceRecord, error) {
	list, err := store.List[resourceRecord](tx, bucketResources, stackID+"\x00")
	if err != nil {
		return nil, err
	}
	out := make([]*resourceRecord, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out, nil
}
