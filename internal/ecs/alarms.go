package ecs

import (
	"context"
	"slices"
	"time"
)

// Alarms is what ECS needs of CloudWatch to watch the alarms of a deployment
// configuration. Like LoadBalancers, it is never called inside one of ECS's store
// transactions.
type Alarms interface {
	// AlarmStates returns the state (OK, ALARM or INSUFFICIENT_DATA) of each named
	// alarm that exists; alarms that do not exist are left out.
	AlarmStates(ctx context.Context, names []string) (map[string]string, error)
}

// alarmCallTimeout bounds a call to Alarms.
const alarmCallTimeout = 10 * time.Second

// watchAlarms records the alarms that deployments in progress watch, for the next
// round to read.
func (s *Service) watchAlarms(names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watched = slices.Clone(names)
}

// pollAlarms reads the state of every alarm that a deployment in progress watched in
// the last round. It returns nil when there is nothing to watch or the alarms cannot
// be read (a pass then judges no alarm).
func (s *Service) pollAlarms(ctx context.Context) map[string]string {
	s.mu.Lock()
	names := s.watched
	s.mu.Unlock()
	if s.alarms == nil || len(names) == 0 {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, alarmCallTimeout)
	defer cancel()
	states, err := s.alarms.AlarmStates(cctx, names)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("ecs: reading the alarms of deployments failed; retrying on the next round", "err", err)
		}
		return nil
	}
	return states
}
