package cloudformation

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/store"
)

// writer is a store transaction that may append stack events; the events are
// published to subscribers once it commits.
type writer struct {
	tx     *store.Tx
	s      *Service
	events []published
}

type published struct {
	root string
	ev   *eventRecord
}

// write runs fn in a store transaction and publishes the events it added after the
// commit, in order.
func (s *Service) write(fn func(w *writer) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var w *writer
	err := s.update(func(tx *store.Tx) error {
		w = &writer{tx: tx, s: s}
		return fn(w)
	})
	if err != nil {
		return err
	}
	if len(w.events) > 0 {
		s.publish(w.events)
	}
	return nil
}

// event appends an event of stack st: a stack event when logicalID is empty.
func (w *writer) event(st *stackRecord, token, logicalID, physicalID, typ, status, reason string, props map[string]any) error {
	ev := &eventRecord{
		ID: newUUID(), StackID: st.ID, StackName: st.Name, LogicalID: logicalID, PhysicalID: physicalID, Type: typ,
		Time: w.s.now(), Status: status, Reason: reason, Token: token,
	}
	if logicalID == "" {
		ev.LogicalID, ev.PhysicalID, ev.Type = st.Name, st.ID, "AWS::CloudFormation::Stack"
	}
	if props != nil {
		if raw, err := json.Marshal(props); err == nil {
			ev.Properties = string(raw)
		}
	}
	seq, err := w.tx.NextSequence(bucketSeq)
	if err != nil {
		return err
	}
	if err := w.tx.Put(bucketEvents, eventKey(st.ID, seq), ev); err != nil {
		return err
	}
	root := st.RootID
	if root == "" {
		root = st.ID
	}
	w.events = append(w.events, published{root: root, ev: ev})
	return nil
}

// apiEvent converts an event record to the API shape.
func (ev *eventRecord) api() StackEvent {
	t := ev.Time
	return StackEvent{
		EventId: ptr(ev.ID), StackId: ptr(ev.StackID), StackName: ptr(ev.StackName), LogicalResourceId: ptr(ev.LogicalID),
		PhysicalResourceId: ptr(ev.PhysicalID), ResourceType: ptr(ev.Type), Timestamp: &t, ResourceStatus: ptr(ev.Status),
		ResourceStatusReason: strPtr(ev.Reason), ResourceProperties: strPtr(ev.Properties), ClientRequestToken: strPtr(ev.Token),
	}
}

// subscriber receives the events of one stack and its nested stacks, queued so that a
// slow reader never blocks the engine.
type subscriber struct {
	root  string
	mu    sync.Mutex
	queue []StackEvent
	wake  chan struct{}
}

// subscribe registers a subscriber to the events of the stack root (and of the stacks
// nested in it) and returns it with a function that removes it.
func (s *Service) subscribe(root string) (*subscriber, func()) {
	sub := &subscriber{root: root, wake: make(chan struct{}, 1)}
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = sub
	s.mu.Unlock()
	return sub, func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

func (s *Service) publish(events []published) {
	s.mu.Lock()
	subs := make([]*subscriber, 0, len(s.subs))
	for _, sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()
	for _, sub := range subs {
		added := false
		sub.mu.Lock()
		for _, p := range events {
			if p.root == sub.root || p.ev.StackID == sub.root {
				sub.queue = append(sub.queue, p.ev.api())
				added = true
			}
		}
		sub.mu.Unlock()
		if added {
			select {
			case sub.wake <- struct{}{}:
			default:
			}
		}
	}
}

// next returns the queued events, waiting for some until ctx ends or done closes.
func (sub *subscriber) next(ctx context.Context, done <-chan struct{}) []StackEvent {
	for {
		sub.mu.Lock()
		q := sub.queue
		sub.queue = nil
		sub.mu.Unlock()
		if len(q) > 0 {
			return q
		}
		select {
		case <-sub.wake:
		case <-done:
			sub.mu.Lock()
			q = sub.queue
			sub.queue = nil
			sub.mu.Unlock()
			return q
		case <-ctx.Done():
			return nil
		}
	}
}

// DescribeStackEvents lists a stack's events, newest first, 100 a page.
func (s *Service) DescribeStackEvents(ctx context.Context, in *DescribeStackEventsInput) (*DescribeStackEventsOutput, error) {
	name := deref(in.StackName)
	if name == "" {
		return nil, errValidation("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	out := &DescribeStackEventsOutput{StackEvents: []StackEvent{}}
	err := s.view(func(tx *store.Tx) error {
		st, err := findStack(tx, name, true)
		if err != nil {
			return err
		}
		prefix := st.ID + "\x00"
		start := deref(in.NextToken)
		if start != "" && !strings.HasPrefix(start, prefix) {
			start = prefix + start
		}
		return tx.Scan(bucketEvents, prefix, func(key string, raw []byte) error {
			if start != "" && key < start {
				return nil
			}
			if len(out.StackEvents) == 100 {
				out.NextToken = ptr(strings.TrimPrefix(key, prefix))
				return store.ErrStop
			}
			var ev eventRecord
			if err := store.Decode(raw, &ev); err != nil {
				return err
			}
			out.StackEvents = append(out.StackEvents, ev.api())
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
