package hybrid_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/network"
)

// TestOnPremisesEndpoints: the lab's networks reach the DataSync, Storage
// Gateway and Transfer endpoints on HTTPS and the ports each service
// documents, through a security group of each endpoint's own, and no other
// security group of the network admits them (the KMS endpoint's shared
// group admits the VPC only).
func TestOnPremisesEndpoints(t *testing.T) {
	f := load(t)
	stack := "Vpn"
	want := map[string][]string{
		"DataSyncEndpointSecurityGroup":       {"443-443", "1024-1064"},
		"StorageGatewayEndpointSecurityGroup": {"443-443", "1026-1028", "1031-1031", "2222-2222"},
		"TransferEndpointSecurityGroup":       {"443-443"},
	}
	sgIDs := map[string]string{}
	for name := range want {
		id, _ := f.Res(t, stack, "Network/"+name)
		sgIDs[id] = name
	}
	seen := map[string]bool{}
	for path, sg := range f.OfType(stack, "AWS::EC2::SecurityGroup", "") {
		id := f.Logical[stack][path]
		rules, _ := sg.Properties["SecurityGroupIngress"].([]any)
		byCIDR := map[string][]string{}
		for _, r := range rules {
			m := r.(map[string]any)
			cidr, _ := m["CidrIp"].(string)
			byCIDR[cidr] = append(byCIDR[cidr], fmt.Sprintf("%v-%v", m["FromPort"], m["ToPort"]))
		}
		name, own := sgIDs[id]
		for _, lab := range labCIDRs {
			got := byCIDR[lab]
			if !own {
				if len(got) > 0 {
					t.Errorf("%s admits the lab's %s on %v", path, lab, got)
				}
				continue
			}
			seen[name] = true
			if !slices.Equal(got, want[name]) {
				t.Errorf("%s admits %s on %v, want %v", name, lab, got, want[name])
			}
		}
		if own && !slices.Equal(byCIDR["10.40.0.0/16"], []string{"443-443"}) {
			t.Errorf("%s admits the VPC on %v, want HTTPS", name, byCIDR["10.40.0.0/16"])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("endpoint groups found: %v", seen)
	}
	// Standalone ingress rules (AWS::EC2::SecurityGroupIngress) of the lab's networks: none.
	for path, r := range f.OfType(stack, "AWS::EC2::SecurityGroupIngress", "") {
		if c, _ := r.Properties["CidrIp"].(string); slices.Contains(labCIDRs, c) {
			t.Errorf("%s admits %s", path, c)
		}
	}
	// Each endpoint uses its group; KMS uses the shared one.
	net := f.nets[stack].(*network.Network)
	for e, name := range map[network.Endpoint]string{
		network.EndpointDataSync: "DataSyncEndpointSecurityGroup", network.EndpointStorageGateway: "StorageGatewayEndpointSecurityGroup",
		network.EndpointTransfer: "TransferEndpointSecurityGroup", network.EndpointKMS: "EndpointSecurityGroup",
	} {
		epID := f.Logical[stack][strings.TrimPrefix(*net.InterfaceEndpoint(e).Node().Path(), stack+"/")+"/Resource"]
		ep := f.Templates[stack].Resources[epID]
		sgID, _ := f.Res(t, stack, "Network/"+name)
		if got := render(ep.Properties["SecurityGroupIds"]); got != `["<`+sgID+`.GroupId>"]` {
			t.Errorf("%s endpoint groups = %s, want %s", e, got, name)
		}
		if *net.EndpointSecurityGroupOf(e).Node().Path() != stack+"/Network/"+name {
			t.Errorf("EndpointSecurityGroupOf(%s) = %s", e, *net.EndpointSecurityGroupOf(e).Node().Path())
		}
	}
	if got := network.OnPremPorts(network.EndpointKMS); got != nil {
		t.Errorf("OnPremPorts(kms) = %v", got)
	}
	got := net.OnPremCIDRs()
	sort.Strings(got)
	if !slices.Equal(got, []string{"172.20.0.0/16", "192.168.0.0/16"}) {
		t.Errorf("OnPremCIDRs() = %v", got)
	}
}
