package cloudformation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
)

// Wharf runs no EC2 networking and no EC2 Auto Scaling: templates written for AWS
// declare VPCs, subnets, security groups and the like, which Wharf keeps as inert
// records with realistic ids and the attributes templates read, so that such templates
// deploy unchanged.

// inert is the provider of a record-only resource type: attrs computes the attributes
// (and physical id) from the properties, keeping the ids of prior when updating.
type inert struct {
	attrs func(req *Request, prior map[string]any) (string, map[string]any)
}

func (p inert) Create(_ context.Context, req *Request) (*Result, error) {
	id, attrs := p.attrs(req, nil)
	return &Result{PhysicalID: id, Attributes: attrs}, nil
}

func (p inert) Update(_ context.Context, req *Request, prior *Prior) (*Result, error) {
	keep := map[string]any{}
	for k, v := range prior.Attributes {
		keep[k] = v
	}
	keep["$id"] = prior.PhysicalID
	_, attrs := p.attrs(req, keep)
	return &Result{Attributes: attrs}, nil
}

func (inert) Delete(context.Context, *Request, *Prior) error { return nil }

// hexID returns an EC2-style id: prefix, a dash and 17 hex digits.
func hexID(prefix string) string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)[:17]
}

// keepID returns the id prior holds under key, or a new one.
func keepID(prior map[string]any, key, prefix string) string {
	if v, ok := prior[key].(string); ok && v != "" {
		return v
	}
	return hexID(prefix)
}

func str(props map[string]any, key string) string {
	if v, ok := props[key].(string); ok {
		return v
	}
	if v, ok := props[key]; ok && v != nil {
		return stringify(v)
	}
	return ""
}

// randomIP returns an address in 203.0.113.0/24 (documentation range) for EIPs.
func randomIP() string {
	b := make([]byte, 1)
	_, _ = rand.Read(b)
	return fmt.Sprintf("203.0.113.%d", int(b[0])%254+1)
}

// inertTypes registers the record-only EC2 and EC2 Auto Scaling types.
func inertTypes(r *Registry) {
	r.Register("AWS::EC2::VPC", ResourceType{
		CreateOnly: []string{"CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength"},
		Attributes: []string{"CidrBlock", "CidrBlockAssociations", "DefaultNetworkAcl", "DefaultSecurityGroup", "Ipv6CidrBlocks", "VpcId"},
		Provider: inert{attrs: func(req *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "VpcId", "vpc")
			cidr := str(req.Properties, "CidrBlock")
			if cidr == "" {
				cidr = "10.0.0.0/16"
			}
			return id, map[string]any{
				"VpcId": id, "CidrBlock": cidr, "DefaultNetworkAcl": keepID(prior, "DefaultNetworkAcl", "acl"),
				"DefaultSecurityGroup":  keepID(prior, "DefaultSecurityGroup", "sg"),
				"CidrBlockAssociations": []any{keepID(map[string]any{"x": first(prior["CidrBlockAssociations"])}, "x", "vpc-cidr-assoc")},
				"Ipv6CidrBlocks":        []any{},
			}
		}},
	})
	r.Register("AWS::EC2::Subnet", ResourceType{
		CreateOnly: []string{"AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "VpcId", "Ipv6CidrBlock", "OutpostArn"},
		Attributes: []string{"AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "Ipv6CidrBlocks", "NetworkAclAssociationId", "OutpostArn", "SubnetId", "VpcId"},
		Required:   []string{"VpcId"},
		Provider: inert{attrs: func(req *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "SubnetId", "subnet")
			az := str(req.Properties, "AvailabilityZone")
			if az == "" {
				az = req.Region + "a"
			}
			return id, map[string]any{
				"SubnetId": id, "VpcId": str(req.Properties, "VpcId"), "AvailabilityZone": az,
				"AvailabilityZoneId": "use1-az" + az[len(az)-1:], "CidrBlock": str(req.Properties, "CidrBlock"),
				"Ipv6CidrBlocks": []any{}, "NetworkAclAssociationId": keepID(prior, "NetworkAclAssociationId", "aclassoc"), "OutpostArn": "",
			}
		}},
	})
	r.Register("AWS::EC2::InternetGateway", ResourceType{
		Attributes: []string{"InternetGatewayId"},
		Provider: inert{attrs: func(_ *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "InternetGatewayId", "igw")
			return id, map[string]any{"InternetGatewayId": id}
		}},
	})
	r.Register("AWS::EC2::VPCGatewayAttachment", ResourceType{
		CreateOnly: []string{"VpcId"},
		Attributes: []string{"AttachmentType"},
		Required:   []string{"VpcId"},
		Provider: inert{attrs: func(req *Request, prior map[string]any) (string, map[string]any) {
			kind := "IGW"
			if str(req.Properties, "VpnGatewayId") != "" {
				kind = "VGW"
			}
			return kind + "|" + str(req.Properties, "VpcId"), map[string]any{"AttachmentType": kind}
		}},
	})
	r.Register("AWS::EC2::NatGateway", ResourceType{
		CreateOnly: []string{"AllocationId", "SubnetId", "ConnectivityType", "PrivateIpAddress"},
		Attributes: []string{"NatGatewayId"},
		Provider: inert{attrs: func(_ *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "NatGatewayId", "nat")
			return id, map[string]any{"NatGatewayId": id}
		}},
	})
	r.Register("AWS::EC2::EIP", ResourceType{
		CreateOnly: []string{"Domain", "NetworkBorderGroup", "TransferAddress"},
		Attributes: []string{"AllocationId", "PublicIp"},
		Provider: inert{attrs: func(_ *Request, prior map[string]any) (string, map[string]any) {
			ip, _ := prior["PublicIp"].(string)
			if ip == "" {
				ip = randomIP()
			}
			return ip, map[string]any{"PublicIp": ip, "AllocationId": keepID(prior, "AllocationId", "eipalloc")}
		}},
	})
	r.Register("AWS::EC2::RouteTable", ResourceType{
		CreateOnly: []string{"VpcId"},
		Attributes: []string{"RouteTableId"},
		Required:   []string{"VpcId"},
		Provider: inert{attrs: func(_ *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "RouteTableId", "rtb")
			return id, map[string]any{"RouteTableId": id}
		}},
	})
	r.Register("AWS::EC2::Route", ResourceType{
		CreateOnly: []string{"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"},
		Attributes: []string{"CidrBlock"},
		Required:   []string{"RouteTableId"},
		Provider: inert{attrs: func(req *Request, _ map[string]any) (string, map[string]any) {
			dest := str(req.Properties, "DestinationCidrBlock")
			if dest == "" {
				dest = str(req.Properties, "DestinationIpv6CidrBlock")
			}
			return str(req.Properties, "RouteTableId") + "|" + dest, map[string]any{"CidrBlock": dest}
		}},
	})
	r.Register("AWS::EC2::SubnetRouteTableAssociation", ResourceType{
		CreateOnly: []string{"SubnetId"},
		Attributes: []string{"Id"},
		Required:   []string{"RouteTableId", "SubnetId"},
		Provider: inert{attrs: func(_ *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "Id", "rtbassoc")
			return id, map[string]any{"Id": id}
		}},
	})
	r.Register("AWS::EC2::SecurityGroup", ResourceType{
		CreateOnly:   []string{"GroupDescription", "GroupName", "VpcId"},
		Attributes:   []string{"GroupId", "VpcId"},
		Required:     []string{"GroupDescription"},
		NameProperty: "GroupName",
		Provider: inert{attrs: func(req *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "GroupId", "sg")
			name := str(req.Properties, "GroupName")
			if n, ok := prior["GroupName"].(string); ok && name == "" {
				name = n
			}
			if name == "" {
				name = req.PhysicalName(255)
			}
			vpc := str(req.Properties, "VpcId")
			ref := id
			if vpc == "" {
				ref = name
			}
			if p, ok := prior["$id"].(string); ok && p != "" {
				ref = p
			}
			return ref, map[string]any{"GroupId": id, "VpcId": vpc, "GroupName": name}
		}},
	})
	for _, t := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		r.Register(t, ResourceType{
			CreateOnly: []string{"GroupId", "GroupName", "IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6",
				"SourceSecurityGroupId", "SourceSecurityGroupName", "DestinationSecurityGroupId", "SourcePrefixListId", "DestinationPrefixListId"},
			Attributes: []string{"Id"},
			Required:   []string{"IpProtocol"},
			Provider: inert{attrs: func(_ *Request, prior map[string]any) (string, map[string]any) {
				id := keepID(prior, "Id", "sgr")
				return id, map[string]any{"Id": id}
			}},
		})
	}
	r.Register("AWS::EC2::LaunchTemplate", ResourceType{
		CreateOnly:   []string{"LaunchTemplateName"},
		Attributes:   []string{"DefaultVersionNumber", "LatestVersionNumber", "LaunchTemplateId"},
		NameProperty: "LaunchTemplateName",
		Provider: inert{attrs: func(_ *Request, prior map[string]any) (string, map[string]any) {
			id := keepID(prior, "LaunchTemplateId", "lt")
			latest := 1
			if v, ok := prior["LatestVersionNumber"].(string); ok {
				fmt.Sscan(v, &latest)
				latest++
			}
			return id, map[string]any{"LaunchTemplateId": id, "DefaultVersionNumber": "1", "LatestVersionNumber": fmt.Sprint(latest)}
		}},
	})
	r.Register("AWS::AutoScaling::LaunchConfiguration", ResourceType{
		// Launch configurations are immutable: every change replaces them.
		CreateOnly: []string{"AssociatePublicIpAddress", "BlockDeviceMappings", "ClassicLinkVPCId", "ClassicLinkVPCSecurityGroups",
			"EbsOptimized", "IamInstanceProfile", "ImageId", "InstanceId", "InstanceMonitoring", "InstanceType", "KernelId", "KeyName",
			"LaunchConfigurationName", "MetadataOptions", "PlacementTenancy", "RamDiskId", "SecurityGroups", "SpotPrice", "UserData"},
		Required:     []string{"ImageId", "InstanceType"},
		NameProperty: "LaunchConfigurationName",
		Provider: inert{attrs: func(req *Request, prior map[string]any) (string, map[string]any) {
			name := str(req.Properties, "LaunchConfigurationName")
			if name == "" {
				name = req.PhysicalName(255)
			}
			return name, map[string]any{}
		}},
	})
	r.Register("AWS::AutoScaling::AutoScalingGroup", ResourceType{
		CreateOnly:   []string{"AutoScalingGroupName", "InstanceId"},
		Attributes:   []string{},
		Required:     []string{"MaxSize", "MinSize"},
		NameProperty: "AutoScalingGroupName",
		Provider: inert{attrs: func(req *Request, prior map[string]any) (string, map[string]any) {
			if p, ok := prior["$id"].(string); ok && p != "" {
				return p, map[string]any{}
			}
			name := str(req.Properties, "AutoScalingGroupName")
			if name == "" {
				name = req.PhysicalName(255)
			}
			return name, map[string]any{}
		}},
	})
}

func first(v any) any {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return l[0]
	}
	return nil
}

// validCIDR reports whether s is an IPv4 or IPv6 CIDR block.
func validCIDR(s string) bool {
	_, _, err := net.ParseCIDR(s)
	return err == nil
}
