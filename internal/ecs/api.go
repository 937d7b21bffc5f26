package ecs

import "github.com/wharf-dev/wharf/internal/awsapi"

// API describes the ECS API for the gateway: awsJson1_1 with the target prefix
// AmazonEC2ContainerServiceV20141113, SigV4 name "ecs", bare error codes.
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		SigningName:    "ecs",
		TargetPrefix:   "AmazonEC2ContainerServiceV20141113",
		Protocols:      []awsapi.Protocol{awsapi.JSON11},
		ResourceTags:   s.ResourceTags,
		ErrorNamespace: "",
		Operations: s.withResources(awsapi.Operations(
			awsapi.Op("CreateCluster", s.CreateCluster),
			awsapi.Op("DescribeClusters", s.DescribeClusters),
			awsapi.Op("ListClusters", s.ListClusters),
			awsapi.Op("DeleteCluster", s.DeleteCluster),
			awsapi.Op("UpdateClusterSettings", s.UpdateClusterSettings),

			awsapi.Op("RegisterTaskDefinition", s.RegisterTaskDefinition),
			awsapi.Op("DescribeTaskDefinition", s.DescribeTaskDefinition),
			awsapi.Op("ListTaskDefinitions", s.ListTaskDefinitions),
			awsapi.Op("ListTaskDefinitionFamilies", s.ListTaskDefinitionFamilies),
			awsapi.Op("DeregisterTaskDefinition", s.DeregisterTaskDefinition),
			awsapi.Op("DeleteTaskDefinitions", s.DeleteTaskDefinitions),

			awsapi.Op("RunTask", s.RunTask),
			awsapi.Op("StopTask", s.StopTask),
			awsapi.Op("DescribeTasks", s.DescribeTasks),
			awsapi.Op("ListTasks", s.ListTasks),

			awsapi.Op("CreateService", s.CreateService),
			awsapi.Op("UpdateService", s.UpdateService),
			awsapi.Op("DescribeServices", s.DescribeServices),
			awsapi.Op("ListServices", s.ListServices),
			awsapi.Op("DeleteService", s.DeleteService),

			awsapi.Op("ListServiceDeployments", s.ListServiceDeployments),
			awsapi.Op("DescribeServiceDeployments", s.DescribeServiceDeployments),
			awsapi.Op("DescribeServiceRevisions", s.DescribeServiceRevisions),
			awsapi.Op("StopServiceDeployment", s.StopServiceDeployment),
			awsapi.Op("ContinueServiceDeployment", s.ContinueServiceDeployment),

			awsapi.Op("ListContainerInstances", s.ListContainerInstances),
			awsapi.Op("DescribeContainerInstances", s.DescribeContainerInstances),

			awsapi.Op("TagResource", s.TagResource),
			awsapi.Op("UntagResource", s.UntagResource),
			awsapi.Op("ListTagsForResource", s.ListTagsForResource),
		)),
	}
}
