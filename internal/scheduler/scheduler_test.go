package scheduler

import (
	"reflect"
	"testing"
)

func TestPlace(t *testing.T) {
	a := Instance{ID: "a", CPU: 2048, MemoryMiB: 4096}
	b := Instance{ID: "b", CPU: 2048, MemoryMiB: 4096}
	small := Instance{ID: "small", CPU: 256, MemoryMiB: 256, ReservedPorts: []Port{{Number: 22}}}
	tests := []struct {
		name      string
		instances []Instance
		allocs    []Allocation
		demand    Demand
		want      string
		failures  []Failure
	}{
		{name: "no instances", demand: Demand{CPU: 1}, want: "", failures: nil},
		{name: "fits on the only instance", instances: []Instance{a}, demand: Demand{CPU: 256, MemoryMiB: 512}, want: "a"},
		{name: "ties broken by id", instances: []Instance{b, a}, demand: Demand{MemoryMiB: 512}, want: "a"},
		{
			name:      "spreads to the instance with the most memory left",
			instances: []Instance{a, b},
			allocs:    []Allocation{{InstanceID: "a", Demand: Demand{MemoryMiB: 100}}},
			demand:    Demand{MemoryMiB: 512},
			want:      "b",
		},
		{
			name:      "then the most cpu left",
			instances: []Instance{a, b},
			allocs:    []Allocation{{InstanceID: "b", Demand: Demand{CPU: 10}}},
			demand:    Demand{MemoryMiB: 512},
			want:      "a",
		},
		{
			name:      "then the fewest tasks",
			instances: []Instance{a, b},
			allocs:    []Allocation{{InstanceID: "a", Demand: Demand{}}},
			demand:    Demand{},
			want:      "b",
		},
		{
			name:      "cpu is checked first",
			instances: []Instance{small},
			demand:    Demand{CPU: 512, MemoryMiB: 1024},
			failures:  []Failure{{InstanceID: "small", Reason: ReasonCPU}},
		},
		{
			name:      "memory",
			instances: []Instance{a, small},
			allocs:    []Allocation{{InstanceID: "a", Demand: Demand{MemoryMiB: 4000}}},
			demand:    Demand{MemoryMiB: 200},
			want:      "small",
		},
		{
			name:      "memory exhausted everywhere",
			instances: []Instance{a, small},
			allocs:    []Allocation{{InstanceID: "a", Demand: Demand{MemoryMiB: 4000}}},
			demand:    Demand{MemoryMiB: 300},
			failures:  []Failure{{InstanceID: "a", Reason: ReasonMemory}, {InstanceID: "small", Reason: ReasonMemory}},
		},
		{
			name:      "reserved port",
			instances: []Instance{small},
			demand:    Demand{Ports: []Port{{Number: 22, Protocol: "tcp"}}},
			failures:  []Failure{{InstanceID: "small", Reason: ReasonPorts}},
		},
		{
			name:      "same number on udp is free",
			instances: []Instance{small},
			demand:    Demand{Ports: []Port{{Number: 22, Protocol: "udp"}}},
			want:      "small",
		},
		{
			name:      "port held by another task",
			instances: []Instance{a, b},
			allocs:    []Allocation{{InstanceID: "a", Demand: Demand{Ports: []Port{{Number: 80}}}}},
			demand:    Demand{MemoryMiB: 1, Ports: []Port{{Number: 80, Protocol: "tcp"}}},
			want:      "b",
		},
		{
			name:      "port held everywhere",
			instances: []Instance{a},
			allocs:    []Allocation{{InstanceID: "a", Demand: Demand{Ports: []Port{{Number: 80}}}}},
			demand:    Demand{Ports: []Port{{Number: 80}}},
			failures:  []Failure{{InstanceID: "a", Reason: ReasonPorts}},
		},
		{
			name:      "a task cannot bind the same port twice",
			instances: []Instance{a},
			demand:    Demand{Ports: []Port{{Number: 80}, {Number: 80, Protocol: "tcp"}}},
			failures:  []Failure{{InstanceID: "a", Reason: ReasonPorts}},
		},
		{
			name:      "zero cpu fits an overcommitted instance",
			instances: []Instance{small},
			allocs:    []Allocation{{InstanceID: "small", Demand: Demand{CPU: 1024}}},
			demand:    Demand{MemoryMiB: 10},
			want:      "small",
		},
		{
			name:      "allocations on unknown instances are ignored",
			instances: []Instance{small},
			allocs:    []Allocation{{InstanceID: "gone", Demand: Demand{MemoryMiB: 1 << 20}}},
			demand:    Demand{MemoryMiB: 256},
			want:      "small",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, failures := Place(tt.instances, tt.allocs, tt.demand)
			if got != tt.want {
				t.Errorf("Place = %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(failures, tt.failures) {
				t.Errorf("failures = %+v, want %+v", failures, tt.failures)
			}
		})
	}
}

func TestRemainingOf(t *testing.T) {
	inst := Instance{ID: "i", CPU: 1024, MemoryMiB: 2048, ReservedPorts: []Port{{Number: 22}, {Number: 53, Protocol: "udp"}}}
	allocs := []Allocation{
		{InstanceID: "i", Demand: Demand{CPU: 256, MemoryMiB: 512, Ports: []Port{{Number: 8080}}}},
		{InstanceID: "i", Demand: Demand{CPU: 1024, MemoryMiB: 512, Ports: []Port{{Number: 5000, Protocol: "udp"}, {Number: 80}}}},
		{InstanceID: "other", Demand: Demand{CPU: 1, MemoryMiB: 1, Ports: []Port{{Number: 9}}}},
	}
	got := RemainingOf(inst, allocs)
	want := Remaining{CPU: -256, MemoryMiB: 1024, TCPPorts: []int32{22, 80, 8080}, UDPPorts: []int32{53, 5000}, Tasks: 2}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RemainingOf = %+v, want %+v", got, want)
	}
	if s := PortStrings(got.TCPPorts); !reflect.DeepEqual(s, []string{"22", "80", "8080"}) {
		t.Errorf("PortStrings = %q", s)
	}
	if empty := RemainingOf(Instance{ID: "e"}, nil); empty.TCPPorts == nil || empty.UDPPorts == nil {
		t.Errorf("port lists should be empty, not nil: %+v", empty)
	}
}
