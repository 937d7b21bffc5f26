package cloudformation

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// Deploy creates or updates the stack stackName from the template file at
// templatePath (nested stacks' TemplateURLs may be paths relative to it) through a
// change set, as `aws cloudformation deploy` does: parameters not given keep their
// previous values on an update, every capability is acknowledged, and nothing happens
// when nothing changed. A stack whose creation failed (ROLLBACK_COMPLETE) is deleted
// first. progress, when set, receives each event of the stack and its nested stacks
// as it happens. Deploy returns the stack's outputs, or an error saying how the
// operation ended and which resource failed first.
func (s *Service) Deploy(ctx context.Context, stackName string, templatePath string, params map[string]string, progress func(StackEvent)) (map[string]string, error) {
	abs, err := filepath.Abs(templatePath)
	if err != nil {
		return nil, fmt.Errorf("cloudformation: template path: %w", err)
	}
	cur, err := s.deployableStack(ctx, stackName, progress)
	if err != nil {
		return nil, err
	}
	in := &CreateChangeSetInput{
		StackName:     ptr(stackName),
		ChangeSetName: ptr(fmt.Sprintf("wharf-deploy-%d-%s", s.clock.Now().Unix(), randomSuffix(6))),
		TemplateURL:   ptr("file://" + filepath.ToSlash(abs)),
		Capabilities:  []string{"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"},
		ChangeSetType: ptr("CREATE"),
		Description:   ptr("Created by wharf up"),
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Parameters = append(in.Parameters, Parameter{ParameterKey: ptr(k), ParameterValue: ptr(params[k])})
	}
	if cur != nil {
		in.ChangeSetType = ptr("UPDATE")
		declared := map[string]bool{}
		if body, _, err := s.loadTemplate(ctx, nil, in.TemplateURL); err == nil {
			if t, err := parseTemplate(body); err == nil {
				for name := range t.Parameters {
					declared[name] = true
				}
			}
		}
		for _, p := range cur.Params {
			if _, given := params[p.Key]; !given && declared[p.Key] {
				in.Parameters = append(in.Parameters, Parameter{ParameterKey: ptr(p.Key), UsePreviousValue: ptr(true)})
			}
		}
	}
	created, err := s.CreateChangeSet(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", stackName, err)
	}
	desc, err := s.DescribeChangeSet(ctx, &DescribeChangeSetInput{ChangeSetName: created.Id})
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", stackName, err)
	}
	if deref(desc.Status) == "FAILED" {
		_, _ = s.DeleteChangeSet(ctx, &DeleteChangeSetInput{ChangeSetName: created.Id})
		if deref(desc.StatusReason) == noChangesReason {
			return s.stackOutputs(*created.StackId)
		}
		return nil, fmt.Errorf("deploy %s: the change set failed: %s", stackName, deref(desc.StatusReason))
	}
	stackID := *created.StackId
	sub, unsubscribe := s.subscribe(stackID)
	defer unsubscribe()
	if _, err := s.ExecuteChangeSet(ctx, &ExecuteChangeSetInput{ChangeSetName: created.Id}); err != nil {
		return nil, fmt.Errorf("deploy %s: %w", stackName, err)
	}
	if err := s.follow(ctx, sub, stackID, progress); err != nil {
		return nil, err
	}
	var st *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		st, err = getStack(tx, stackID)
		return err
	}); err != nil {
		return nil, err
	}
	if st.Status != stCreateComplete && st.Status != stUpdateComplete {
		return nil, s.deployError(stackID, st)
	}
	return outputsMap(st), nil
}

// deployableStack returns the stack Deploy updates (nil when it creates one), after
// deleting a stack whose creation failed.
func (s *Service) deployableStack(ctx context.Context, name string, progress func(StackEvent)) (*stackRecord, error) {
	var cur *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		st, err := findStack(tx, name, false)
		if err == nil {
			cur = st
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if cur == nil || cur.Status == stReviewInProgress {
		return nil, nil
	}
	if inProgress(cur.Status) {
		return nil, fmt.Errorf("deploy %s: the stack is in %s state; wait for the operation to end", name, cur.Status)
	}
	if cur.Status != stRollbackComplete && cur.Status != stRollbackFailed && cur.Status != stCreateFailed {
		return cur, nil
	}
	sub, unsubscribe := s.subscribe(cur.ID)
	defer unsubscribe()
	if _, err := s.DeleteStack(ctx, &DeleteStackInput{StackName: ptr(cur.ID)}); err != nil {
		return nil, fmt.Errorf("deploy %s: delete the failed stack: %w", name, err)
	}
	if err := s.follow(ctx, sub, cur.ID, progress); err != nil {
		return nil, err
	}
	var st *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		st, err = getStack(tx, cur.ID)
		return err
	}); err != nil {
		return nil, err
	}
	if st.Status != stDeleteComplete {
		return nil, fmt.Errorf("deploy %s: the failed stack could not be deleted: %s: %s", name, st.Status, st.Reason)
	}
	return nil, nil
}

// follow passes the events of a stack (and its nested stacks) to progress until the
// stack's running operation ends. An operation publishes its last event before it
// ends, so none is missed.
func (s *Service) follow(ctx context.Context, sub *subscriber, stackID string, progress func(StackEvent)) error {
	done := make(chan struct{})
	if rs := s.runningOp(stackID); rs != nil {
		done = rs.done
	} else {
		close(done)
	}
	for {
		events := sub.next(ctx, done)
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, ev := range events {
			if progress != nil {
				progress(ev)
			}
		}
		select {
		case <-done:
			if len(events) == 0 {
				return nil
			}
		default:
		}
	}
}

// deployError explains a failed deploy: the stack's final status and reason, and the
// first resource that failed.
func (s *Service) deployError(stackID string, st *stackRecord) error {
	var first string
	_ = s.view(func(tx *store.Tx) error {
		var all []eventRecord
		err := tx.Scan(bucketEvents, stackID+"\x00", func(_ string, raw []byte) error {
			var ev eventRecord
			if store.Decode(raw, &ev) == nil {
				all = append(all, ev)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Events are newest first; find the oldest failure of the last operation.
		for _, ev := range all {
			if ev.Type == "AWS::CloudFormation::Stack" && ev.LogicalID == st.Name && ev.Reason == "User Initiated" {
				break
			}
			if strings.HasSuffix(ev.Status, "_FAILED") && ev.LogicalID != st.Name && ev.Reason != "" && ev.Reason != errCancelled.Error() {
				first = ev.LogicalID + ": " + ev.Reason
			}
		}
		return nil
	})
	msg := fmt.Sprintf("deploy %s: %s", st.Name, st.Status)
	if st.Reason != "" {
		msg += ": " + strings.TrimSpace(st.Reason)
	}
	if first != "" {
		msg += " (" + first + ")"
	}
	return fmt.Errorf("%s", msg)
}

// stackOutputs returns a stack's outputs by key.
func (s *Service) stackOutputs(stackID string) (map[string]string, error) {
	var st *stackRecord
	if err := s.view(func(tx *store.Tx) error {
		var err error
		st, err = getStack(tx, stackID)
		return err
	}); err != nil {
		return nil, err
	}
	return outputsMap(st), nil
}

func outputsMap(st *stackRecord) map[string]string {
	out := make(map[string]string, len(st.Outputs))
	for _, o := range st.Outputs {
		out[o.Key] = o.Value
	}
	return out
}
