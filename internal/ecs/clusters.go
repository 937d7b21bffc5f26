package ecs

import (
	"context"
	"slices"
	"strconv"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// CreateClusterInput is the input of CreateCluster.
type CreateClusterInput struct {
	ClusterName                     *string                        `json:"clusterName,omitempty"`
	Settings                        []ClusterSetting               `json:"settings,omitempty"`
	Tags                            []Tag                          `json:"tags,omitempty"`
	CapacityProviders               []string                       `json:"capacityProviders,omitempty"`
	DefaultCapacityProviderStrategy []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy,omitempty"`
}

// CreateClusterOutput is the output of CreateCluster.
type CreateClusterOutput struct {
	Cluster *Cluster `json:"cluster,omitempty"`
}

// DescribeClustersInput is the input of DescribeClusters.
type DescribeClustersInput struct {
	Clusters []string `json:"clusters,omitempty"`
	Include  []string `json:"include,omitempty"` // ATTACHMENTS, CONFIGURATIONS, SETTINGS, STATISTICS, TAGS
}

// DescribeClustersOutput is the output of DescribeClusters.
type DescribeClustersOutput struct {
	Clusters []Cluster `json:"clusters"`
	Failures []Failure `json:"failures"`
}

// ListClustersInput is the input of ListClusters.
type ListClustersInput struct {
	MaxResults *int32  `json:"maxResults,omitempty"`
	NextToken  *string `json:"nextToken,omitempty"`
}

// ListClustersOutput is the output of ListClusters.
type ListClustersOutput struct {
	ClusterArns []string `json:"clusterArns"`
	NextToken   *string  `json:"nextToken,omitempty"`
}

// DeleteClusterInput is the input of DeleteCluster.
type DeleteClusterInput struct {
	Cluster *string `json:"cluster,omitempty"`
}

// DeleteClusterOutput is the output of DeleteCluster.
type DeleteClusterOutput struct {
	Cluster *Cluster `json:"cluster,omitempty"`
}

// UpdateClusterSettingsInput is the input of UpdateClusterSettings.
type UpdateClusterSettingsInput struct {
	Cluster  *string          `json:"cluster,omitempty"`
	Settings []ClusterSetting `json:"settings,omitempty"`
}

// UpdateClusterSettingsOutput is the output of UpdateClusterSettings.
type UpdateClusterSettingsOutput struct {
	Cluster *Cluster `json:"cluster,omitempty"`
}

// CreateCluster creates a cluster, or returns the existing active cluster of that name
// (as ECS does). Every node known to Wharf is registered in the new cluster as a
// container instance.
func (s *Service) CreateCluster(ctx context.Context, in *CreateClusterInput) (*CreateClusterOutput, error) {
	name := deref(in.ClusterName)
	if name == "" {
		name = "default"
	}
	if !validName(name) {
		return nil, errInvalid("Invalid clusterName '%s': %s.", name, nameRule)
	}
	if err := validateSettings(in.Settings); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	var out Cluster
	err := s.update(ctx, func(tx *store.Tx) error {
		var c Cluster
		found, err := get(tx, bucketClusters, name, &c)
		if err != nil {
			return err
		}
		if !found || c.Status != "ACTIVE" {
			c = Cluster{
				ClusterArn:                      s.clusterARN(name),
				ClusterName:                     name,
				Status:                          "ACTIVE",
				Settings:                        mergeSettings([]ClusterSetting{{Name: "containerInsights", Value: "disabled"}}, in.Settings),
				Tags:                            in.Tags,
				CapacityProviders:               in.CapacityProviders,
				DefaultCapacityProviderStrategy: in.DefaultCapacityProviderStrategy,
			}
			if err := s.activateCluster(tx, c); err != nil {
				return err
			}
		}
		out, err = s.clusterView(tx, c, nil, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CreateClusterOutput{Cluster: &out}, nil
}

// activateCluster stores an active cluster and registers every known node in it.
func (s *Service) activateCluster(tx *store.Tx, c Cluster) error {
	// Instances left from an earlier cluster of the same name go first.
	if err := deleteInstances(tx, c.ClusterName); err != nil {
		return err
	}
	if err := tx.Put(bucketClusters, c.ClusterName, c); err != nil {
		return err
	}
	nodes, err := store.List[nodeRecord](tx, bucketNodes, "")
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if err := s.registerInstance(tx, c.ClusterName, n); err != nil {
			return err
		}
	}
	return nil
}

// DescribeClusters describes clusters by name or ARN ("default" when none is given).
// Settings, statistics and tags are returned when include asks for them.
func (s *Service) DescribeClusters(ctx context.Context, in *DescribeClustersInput) (*DescribeClustersOutput, error) {
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{"default"}
	}
	if len(refs) > 100 {
		return nil, errInvalid("clusters can have at most 100 items, got %d.", len(refs))
	}
	inc, err := includes("include", in.Include, "ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS")
	if err != nil {
		return nil, err
	}
	out := &DescribeClustersOutput{Clusters: []Cluster{}, Failures: []Failure{}}
	err = s.view(ctx, func(tx *store.Tx) error {
		for _, ref := range refs {
			name, err := s.clusterName(&ref)
			var c Cluster
			found := false
			if err == nil {
				if found, err = get(tx, bucketClusters, name, &c); err != nil {
					return err
				}
			}
			if !found {
				arn := ref
				if name != "" {
					arn = s.clusterARN(name)
				}
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			v, err := s.clusterView(tx, c, inc, false)
			if err != nil {
				return err
			}
			out.Clusters = append(out.Clusters, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListClusters lists the ARNs of the active clusters.
func (s *Service) ListClusters(ctx context.Context, in *ListClustersInput) (*ListClustersOutput, error) {
	var keys, arns []string
	err := s.view(ctx, func(tx *store.Tx) error {
		cs, err := clusterRecords(tx)
		for _, c := range cs {
			if c.Status == "ACTIVE" {
				keys = append(keys, c.ClusterName)
				arns = append(arns, c.ClusterArn)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(keys, false, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ListClustersOutput{ClusterArns: append([]string{}, arns[lo:hi]...), NextToken: next}, nil
}

// DeleteCluster makes a cluster INACTIVE. It fails while the cluster has services that
// are not INACTIVE or tasks that are not STOPPED. Unlike ECS, which wants container
// instances deregistered first, Wharf deregisters the cluster's instances itself: they
// stand for the local nodes, which register in every cluster.
func (s *Service) DeleteCluster(ctx context.Context, in *DeleteClusterInput) (*DeleteClusterOutput, error) {
	if deref(in.Cluster) == "" {
		return nil, errInvalid("cluster is required.")
	}
	name, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	var out Cluster
	err = s.update(ctx, func(tx *store.Tx) error {
		c, err := activeCluster(tx, name)
		if err != nil {
			return err
		}
		services, err := servicesOf(tx, name)
		if err != nil {
			return err
		}
		for _, r := range services {
			if r.Service.Status != "INACTIVE" {
				return awsapi.Errorf("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
			}
		}
		tasks, err := tasksOf(tx, name)
		if err != nil {
			return err
		}
		for _, r := range tasks {
			if r.live() {
				return awsapi.Errorf("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
			}
		}
		if err := deleteInstances(tx, name); err != nil {
			return err
		}
		c.Status = "INACTIVE"
		if err := tx.Put(bucketClusters, name, c); err != nil {
			return err
		}
		out, err = s.clusterView(tx, c, nil, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &DeleteClusterOutput{Cluster: &out}, nil
}

// UpdateClusterSettings changes a cluster's settings (containerInsights).
func (s *Service) UpdateClusterSettings(ctx context.Context, in *UpdateClusterSettingsInput) (*UpdateClusterSettingsOutput, error) {
	if deref(in.Cluster) == "" {
		return nil, errInvalid("cluster is required.")
	}
	if len(in.Settings) == 0 {
		return nil, errInvalid("settings cannot be empty.")
	}
	if err := validateSettings(in.Settings); err != nil {
		return nil, err
	}
	name, err := s.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	var out Cluster
	err = s.update(ctx, func(tx *store.Tx) error {
		c, err := activeCluster(tx, name)
		if err != nil {
			return err
		}
		c.Settings = mergeSettings(c.Settings, in.Settings)
		if err := tx.Put(bucketClusters, name, c); err != nil {
			return err
		}
		out, err = s.clusterView(tx, c, nil, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &UpdateClusterSettingsOutput{Cluster: &out}, nil
}

// activeCluster reads an ACTIVE cluster or fails with ClusterNotFoundException.
func activeCluster(tx *store.Tx, name string) (Cluster, error) {
	var c Cluster
	found, err := get(tx, bucketClusters, name, &c)
	if err != nil {
		return c, err
	}
	if !found || c.Status != "ACTIVE" {
		return c, errClusterNotFound()
	}
	return c, nil
}

func validateSettings(settings []ClusterSetting) error {
	for i, st := range settings {
		if st.Name != "containerInsights" {
			return errInvalid("settings[%d].name: '%s' is not a valid cluster setting; the only setting is containerInsights.", i, st.Name)
		}
		switch st.Value {
		case "enabled", "disabled", "enhanced":
		default:
			return errInvalid("settings[%d].value: containerInsights must be enabled, disabled or enhanced, got '%s'.", i, st.Value)
		}
	}
	return nil
}

func mergeSettings(old, add []ClusterSetting) []ClusterSetting {
	out := slices.Clone(old)
	for _, st := range add {
		i := slices.IndexFunc(out, func(o ClusterSetting) bool { return o.Name == st.Name })
		if i >= 0 {
			out[i] = st
		} else {
			out = append(out, st)
		}
	}
	return out
}

// clusterView returns c as the API shows it: with the counts computed from the store,
// and settings, statistics and tags as asked (all of them when full).
func (s *Service) clusterView(tx *store.Tx, c Cluster, inc map[string]bool, full bool) (Cluster, error) {
	instances, err := instancesOf(tx, c.ClusterName)
	if err != nil {
		return c, err
	}
	tasks, err := tasksOf(tx, c.ClusterName)
	if err != nil {
		return c, err
	}
	services, err := servicesOf(tx, c.ClusterName)
	if err != nil {
		return c, err
	}
	c.RegisteredContainerInstancesCount = 0
	for _, r := range instances {
		if r.Instance.Status == "ACTIVE" {
			c.RegisteredContainerInstancesCount++
		}
	}
	stats := map[string]int32{}
	launch := func(lt string) string {
		if lt == "FARGATE" {
			return "Fargate"
		}
		return "EC2"
	}
	for _, r := range tasks {
		switch {
		case r.Task.LastStatus == StatusRunning:
			c.RunningTasksCount++
			stats["running"+launch(r.Task.LaunchType)+"TasksCount"]++
		case isPending(r.Task.LastStatus):
			c.PendingTasksCount++
			stats["pending"+launch(r.Task.LaunchType)+"TasksCount"]++
		}
	}
	for _, r := range services {
		switch r.Service.Status {
		case "ACTIVE":
			c.ActiveServicesCount++
			stats["active"+launch(r.Service.LaunchType)+"ServiceCount"]++
		case "DRAINING":
			stats["draining"+launch(r.Service.LaunchType)+"ServiceCount"]++
		}
	}
	if !full && !inc["SETTINGS"] {
		c.Settings = nil
	}
	if !full && !inc["TAGS"] {
		c.Tags = nil
	} else if c.Tags == nil {
		c.Tags = []Tag{}
	}
	c.Statistics = nil
	if inc["STATISTICS"] {
		for _, k := range []string{
			"runningEC2TasksCount", "runningFargateTasksCount", "pendingEC2TasksCount", "pendingFargateTasksCount",
			"activeEC2ServiceCount", "activeFargateServiceCount", "drainingEC2ServiceCount", "drainingFargateServiceCount",
		} {
			c.Statistics = append(c.Statistics, KeyValuePair{Name: k, Value: strconv.Itoa(int(stats[k]))})
		}
	}
	return c, nil
}
