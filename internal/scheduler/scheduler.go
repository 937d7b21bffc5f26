// Package scheduler places ECS tasks on container instances. It is pure: given the
// container instances, the tasks already placed on them and what a new task needs, it
// chooses an instance, or says for each instance which resource was missing, with the
// reasons ECS reports in RunTask failures ("RESOURCE:CPU", "RESOURCE:MEMORY",
// "RESOURCE:PORTS"). It keeps no state and never touches the store.
package scheduler

import (
	"cmp"
	"slices"
	"strconv"
)

// Failure reasons, as ECS words them.
const (
	ReasonCPU    = "RESOURCE:CPU"
	ReasonMemory = "RESOURCE:MEMORY"
	ReasonPorts  = "RESOURCE:PORTS"
)

// Port is a host port and its protocol ("tcp" or "udp"; "" means "tcp").
type Port struct {
	Number   int32
	Protocol string
}

func (p Port) proto() string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

// Instance is a container instance that can run tasks.
type Instance struct {
	// ID names the instance (its ARN); allocations refer to it.
	ID string
	// CPU (units, 1024 per core) and MemoryMiB are the registered resources.
	CPU       int32
	MemoryMiB int32
	// ReservedPorts are host ports the instance keeps for itself.
	ReservedPorts []Port
}

// Demand is what one task needs from an instance.
type Demand struct {
	CPU       int32
	MemoryMiB int32
	// Ports are the fixed host ports the task binds; dynamic ports are not listed.
	Ports []Port
}

// Allocation is a task already placed on an instance (one that is not STOPPED).
type Allocation struct {
	InstanceID string
	Demand
}

// Failure says why a task did not fit on an instance.
type Failure struct {
	InstanceID string
	Reason     string
}

// Remaining describes what is left of an instance.
type Remaining struct {
	CPU       int32 // may be negative when the instance is overcommitted
	MemoryMiB int32
	// TCPPorts and UDPPorts are the host ports in use (reserved or allocated), sorted,
	// as ECS lists them in remainingResources PORTS and PORTS_UDP.
	TCPPorts []int32
	UDPPorts []int32
	// Tasks is the number of allocations on the instance.
	Tasks int
}

// RemainingOf returns what is left of inst after the allocations placed on it
// (allocations on other instances are ignored).
func RemainingOf(inst Instance, allocs []Allocation) Remaining {
	r := Remaining{CPU: inst.CPU, MemoryMiB: inst.MemoryMiB}
	tcp, udp := map[int32]bool{}, map[int32]bool{}
	add := func(p Port) {
		if p.proto() == "udp" {
			udp[p.Number] = true
		} else {
			tcp[p.Number] = true
		}
	}
	for _, p := range inst.ReservedPorts {
		add(p)
	}
	for _, a := range allocs {
		if a.InstanceID != inst.ID {
			continue
		}
		r.Tasks++
		r.CPU -= a.CPU
		r.MemoryMiB -= a.MemoryMiB
		for _, p := range a.Ports {
			add(p)
		}
	}
	r.TCPPorts = sortedKeys(tcp)
	r.UDPPorts = sortedKeys(udp)
	return r
}

// inUse reports whether port p is taken in r.
func (r Remaining) inUse(p Port) bool {
	list := r.TCPPorts
	if p.proto() == "udp" {
		list = r.UDPPorts
	}
	_, found := slices.BinarySearch(list, p.Number)
	return found
}

// Fits returns "" when d fits in r, or the reason it does not: CPU is checked first,
// then memory, then ports.
func (r Remaining) Fits(d Demand) string {
	switch {
	case d.CPU > 0 && d.CPU > r.CPU:
		return ReasonCPU
	case d.MemoryMiB > 0 && d.MemoryMiB > r.MemoryMiB:
		return ReasonMemory
	}
	seen := map[Port]bool{}
	for _, p := range d.Ports {
		p.Protocol = p.proto()
		if r.inUse(p) || seen[p] {
			return ReasonPorts
		}
		seen[p] = true
	}
	return ""
}

// Place chooses the instance for a task that needs d, spreading load: among the
// instances where it fits, the one with the most memory left wins, then the most CPU
// left, then the fewest tasks, then the smallest ID. When it fits nowhere, Place
// returns "" and one failure per instance, in the order of instances.
func Place(instances []Instance, allocs []Allocation, d Demand) (string, []Failure) {
	type candidate struct {
		id  string
		rem Remaining
	}
	var fits []candidate
	var failures []Failure
	for _, inst := range instances {
		rem := RemainingOf(inst, allocs)
		if reason := rem.Fits(d); reason != "" {
			failures = append(failures, Failure{InstanceID: inst.ID, Reason: reason})
			continue
		}
		fits = append(fits, candidate{inst.ID, rem})
	}
	if len(fits) == 0 {
		return "", failures
	}
	best := slices.MinFunc(fits, func(a, b candidate) int {
		return cmp.Or(
			cmp.Compare(b.rem.MemoryMiB, a.rem.MemoryMiB),
			cmp.Compare(b.rem.CPU, a.rem.CPU),
			cmp.Compare(a.rem.Tasks, b.rem.Tasks),
			cmp.Compare(a.id, b.id),
		)
	})
	return best.id, nil
}

// PortStrings formats ports as ECS lists them in a STRINGSET resource.
func PortStrings(ports []int32) []string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = strconv.Itoa(int(p))
	}
	return out
}

func sortedKeys(m map[int32]bool) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
