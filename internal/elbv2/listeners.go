package elbv2

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/wharf-dev/wharf/internal/store"
)

// defaultSSLPolicy is the security policy of HTTPS listeners created without one.
const defaultSSLPolicy = "ELBSecurityPolicy-2016-08"

// CreateListenerInput is the input of CreateListener.
type CreateListenerInput struct {
	LoadBalancerArn *string       `json:"LoadBalancerArn,omitempty"`
	Protocol        *string       `json:"Protocol,omitempty"`
	Port            *int32        `json:"Port,omitempty"`
	DefaultActions  []Action      `json:"DefaultActions,omitempty"`
	Certificates    []Certificate `json:"Certificates,omitempty"`
	SslPolicy       *string       `json:"SslPolicy,omitempty"`
	AlpnPolicy      []string      `json:"AlpnPolicy,omitempty"`
	Tags            []Tag         `json:"Tags,omitempty"`
}

// CreateListenerOutput is the output of CreateListener.
type CreateListenerOutput struct {
	Listeners []Listener `json:"Listeners"`
}

// DescribeListenersInput is the input of DescribeListeners.
type DescribeListenersInput struct {
	LoadBalancerArn *string  `json:"LoadBalancerArn,omitempty"`
	ListenerArns    []string `json:"ListenerArns,omitempty"`
	Marker          *string  `json:"Marker,omitempty"`
	PageSize        *int32   `json:"PageSize,omitempty"`
}

// DescribeListenersOutput is the output of DescribeListeners.
type DescribeListenersOutput struct {
	Listeners  []Listener `json:"Listeners"`
	NextMarker *string    `json:"NextMarker,omitempty"`
}

// ModifyListenerInput is the input of ModifyListener.
type ModifyListenerInput struct {
	ListenerArn    *string       `json:"ListenerArn,omitempty"`
	Protocol       *string       `json:"Protocol,omitempty"`
	Port           *int32        `json:"Port,omitempty"`
	DefaultActions []Action      `json:"DefaultActions,omitempty"`
	Certificates   []Certificate `json:"Certificates,omitempty"`
	SslPolicy      *string       `json:"SslPolicy,omitempty"`
	AlpnPolicy     []string      `json:"AlpnPolicy,omitempty"`
}

// ModifyListenerOutput is the output of ModifyListener.
type ModifyListenerOutput struct {
	Listeners []Listener `json:"Listeners"`
}

// DeleteListenerInput is the input of DeleteListener.
type DeleteListenerInput struct {
	ListenerArn *string `json:"ListenerArn,omitempty"`
}

// DeleteListenerOutput is the (empty) output of DeleteListener.
type DeleteListenerOutput struct{}

// listenerSettings is a checked listener, before it is stored.
type listenerSettings struct {
	listener  Listener
	cert, key []byte
}

// checkListener checks the protocol, port, certificates and policy of a listener being
// created or modified (l holds its current settings) and applies them to l.
func checkListener(l *listenerSettings, protocol *string, port *int32, certs []Certificate, policy *string, alpn []string) error {
	if protocol != nil {
		switch *protocol {
		case "HTTP", "HTTPS":
		default:
			return errValidation("Listener protocol '%s' must be one of 'HTTPS, HTTP'", *protocol)
		}
		if *protocol == "HTTP" {
			l.listener.Certificates, l.listener.SslPolicy, l.cert, l.key = nil, "", nil, nil
		}
		l.listener.Protocol = *protocol
	}
	if l.listener.Protocol == "" {
		return errValidation("A listener protocol must be specified: HTTP or HTTPS")
	}
	if port != nil {
		if err := checkRange("port", port, 1, 65535); err != nil {
			return err
		}
		l.listener.Port = *port
	}
	if l.listener.Port == 0 {
		return errRequired("port")
	}
	if len(alpn) > 0 {
		return errValidation("An ALPN policy can be specified only for TLS listeners of network load balancers")
	}
	https := l.listener.Protocol == "HTTPS"
	if !https && (len(certs) > 0 || policy != nil) {
		return errValidation("Certificates and an SSL policy can be specified only for HTTPS listeners")
	}
	if len(certs) > 1 {
		return errCode("TooManyCertificates", "A listener has one default certificate; %d were given", len(certs))
	}
	if len(certs) == 1 {
		arn := deref(certs[0].CertificateArn)
		cert, key, err := loadCertificate(arn)
		if err != nil {
			return err
		}
		l.listener.Certificates = []Certificate{{CertificateArn: ptr(arn)}}
		l.cert, l.key = cert, key
	}
	if https && len(l.listener.Certificates) == 0 {
		return errValidation("A certificate must be specified for HTTPS listeners")
	}
	if policy != nil {
		if !strings.HasPrefix(*policy, "ELBSecurityPolicy-") {
			return errCode("SSLPolicyNotFound", "SSL policy '%s' not found", *policy)
		}
		l.listener.SslPolicy = *policy
	}
	if https && l.listener.SslPolicy == "" {
		l.listener.SslPolicy = defaultSSLPolicy
	}
	return nil
}

// loadCertificate reads the certificate that a CertificateArn names. Wharf has no
// certificate manager: an HTTPS listener's certificate is a PEM file named by a
// file:// URL with an absolute path, file:///etc/wharf/site.pem. Its private key is in
// the same file, or in the file of the same name with the extension .key
// (/etc/wharf/site.key). The files are read when the listener is created or modified.
func loadCertificate(arn string) (cert, key []byte, err error) {
	path, ok := strings.CutPrefix(arn, "file://")
	if !ok || !filepath.IsAbs(path) {
		return nil, nil, errCode("CertificateNotFound", "Certificate '%s' not found: Wharf reads certificates from PEM files named by file:// URLs with an absolute path (file:///etc/wharf/site.pem, the key in the same file or in /etc/wharf/site.key)", arn)
	}
	cert, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, errCode("CertificateNotFound", "Certificate '%s' not found: %v", arn, err)
	}
	key = cert
	if !hasPrivateKey(cert) {
		keyPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".key"
		if key, err = os.ReadFile(keyPath); err != nil {
			return nil, nil, errCode("CertificateNotFound", "The private key of certificate '%s' not found: it must be in the certificate's file or in %s: %v", arn, keyPath, err)
		}
	}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		return nil, nil, errValidation("Certificate '%s' is not a valid certificate with its private key: %v", arn, err)
	}
	return cert, key, nil
}

func hasPrivateKey(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			return true
		}
	}
}

// bindListener writes a listener with fn and keeps the write only if the data plane
// binds the listener's port: with the data plane's lock held, it applies the snapshot
// of the transaction, which sees the write, and rolls the transaction back when the
// listener cannot bind (the data plane is then brought back to the stored state).
func (s *Service) bindListener(ctx context.Context, arn *string, port *int32, fn func(tx *store.Tx) error) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	applied := false
	err := s.update(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.dp == nil {
			return nil
		}
		snap, err := s.snapshot(tx)
		if err != nil {
			return err
		}
		errs := s.dp.Apply(snap)
		applied = true
		if e := errs[*arn]; e != nil {
			return errCode("InvalidConfigurationRequest", "The listener cannot listen on port %d: %v. Choose another port, or free this one (ports below 1024 need privileges, or a port mapping in the load balancer's options).", *port, e)
		}
		s.applied, s.applyErrs = &snap, errs
		return nil
	})
	if err != nil && applied {
		s.applied = nil
		s.syncLocked()
	}
	return err
}

// CreateListener creates an HTTP or HTTPS listener and binds its port at once: a port
// that cannot be bound fails the call with InvalidConfigurationRequest, and nothing is
// stored. As on AWS, creating a listener that exists on the port with the same settings
// returns it, and one with other settings fails with DuplicateListener.
func (s *Service) CreateListener(ctx context.Context, in *CreateListenerInput) (*CreateListenerOutput, error) {
	if in.Port == nil {
		return nil, errRequired("port")
	}
	settings := listenerSettings{}
	if err := checkListener(&settings, in.Protocol, in.Port, in.Certificates, in.SslPolicy, in.AlpnPolicy); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	var out Listener
	arn := new(string)
	err := s.bindListener(ctx, arn, in.Port, func(tx *store.Tx) error {
		lb, err := s.mustLoadBalancer(tx, "loadBalancerArn", in.LoadBalancerArn)
		if err != nil {
			return err
		}
		l := settings.listener
		l.LoadBalancerArn = lb.LB.LoadBalancerArn
		if l.DefaultActions, err = s.checkActions(tx, "defaultActions", in.DefaultActions, l.LoadBalancerArn, l.Protocol); err != nil {
			return err
		}
		existing, err := listenersOf(tx, lb.LB.LoadBalancerName)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if e.Listener.Port != l.Port {
				continue
			}
			cmp := e.Listener
			cmp.ListenerArn = ""
			if reflect.DeepEqual(cmp, l) && bytes.Equal(e.CertificatePEM, settings.cert) {
				out = e.Listener
				return nil
			}
			return errCode("DuplicateListener", "A listener already exists on port %d of load balancer '%s'", l.Port, l.LoadBalancerArn)
		}
		if len(existing) >= quotaListenersPerLB {
			return errCode("TooManyListeners", "You've reached the limit on the number of listeners per load balancer ('%d')", quotaListenersPerLB)
		}
		id := randomHex(16)
		l.ListenerArn = s.listenerARN(lb.LB.LoadBalancerName, lb.ID, id)
		*arn = l.ListenerArn
		rec := &listenerRecord{Listener: l, ID: id, DefaultRuleID: randomHex(16), CertificatePEM: settings.cert, KeyPEM: settings.key, Tags: in.Tags}
		if err := tx.Put(bucketListeners, listenerKey(lb.LB.LoadBalancerName, id), rec); err != nil {
			return err
		}
		out = l
		return s.checkUniqueTargetGroups(tx, l.LoadBalancerArn)
	})
	if err != nil {
		return nil, err
	}
	return &CreateListenerOutput{Listeners: []Listener{out}}, nil
}

// DescribeListeners describes the listeners of a load balancer, or listeners by ARN.
func (s *Service) DescribeListeners(ctx context.Context, in *DescribeListenersInput) (*DescribeListenersOutput, error) {
	if (in.LoadBalancerArn == nil) == (len(in.ListenerArns) == 0) {
		return nil, errValidation("You must specify either listener ARNs or a load balancer ARN, not both")
	}
	var ls []Listener
	err := s.view(ctx, func(tx *store.Tx) error {
		if in.LoadBalancerArn != nil {
			lb, err := s.mustLoadBalancer(tx, "loadBalancerArn", in.LoadBalancerArn)
			if err != nil {
				return err
			}
			recs, err := listenersOf(tx, lb.LB.LoadBalancerName)
			for _, r := range recs {
				ls = append(ls, r.Listener)
			}
			return err
		}
		var missing []string
		for _, arn := range in.ListenerArns {
			if !looksLikeARN(arn, kindListener) {
				return errValidation("'%s' is not a valid listener ARN", arn)
			}
			rec, found, err := s.listener(tx, arn)
			if err != nil {
				return err
			}
			if !found {
				missing = append(missing, arn)
				continue
			}
			ls = append(ls, rec.Listener)
		}
		if len(missing) > 0 {
			return notFound("ListenerNotFound", "Listeners", missing)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	key := func(l Listener) string {
		return fmt.Sprintf("%s/%05d/%s", lbNameOf(l.LoadBalancerArn), l.Port, l.ListenerArn)
	}
	pg, next, err := page(ls, key, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &DescribeListenersOutput{Listeners: pg, NextMarker: next}, nil
}

// ModifyListener changes a listener's port, protocol, certificate, policy or default
// actions; a new port is bound before the change is kept, as in CreateListener.
func (s *Service) ModifyListener(ctx context.Context, in *ModifyListenerInput) (*ModifyListenerOutput, error) {
	if in.ListenerArn == nil {
		return nil, errRequired("listenerArn")
	}
	var out Listener
	port := new(int32)
	err := s.bindListener(ctx, in.ListenerArn, port, func(tx *store.Tx) error {
		rec, err := s.mustListener(tx, "listenerArn", in.ListenerArn)
		if err != nil {
			return err
		}
		settings := listenerSettings{listener: rec.Listener, cert: rec.CertificatePEM, key: rec.KeyPEM}
		if err := checkListener(&settings, in.Protocol, in.Port, in.Certificates, in.SslPolicy, in.AlpnPolicy); err != nil {
			return err
		}
		l := settings.listener
		*port = l.Port
		if in.DefaultActions != nil {
			if l.DefaultActions, err = s.checkActions(tx, "defaultActions", in.DefaultActions, l.LoadBalancerArn, l.Protocol); err != nil {
				return err
			}
		}
		others, err := listenersOf(tx, lbNameOf(l.LoadBalancerArn))
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.Listener.ListenerArn != l.ListenerArn && o.Listener.Port == l.Port {
				return errCode("DuplicateListener", "A listener already exists on port %d of load balancer '%s'", l.Port, l.LoadBalancerArn)
			}
		}
		rec.Listener, rec.CertificatePEM, rec.KeyPEM = l, settings.cert, settings.key
		if err := tx.Put(bucketListeners, listenerKey(lbNameOf(l.LoadBalancerArn), rec.ID), rec); err != nil {
			return err
		}
		out = l
		return s.checkUniqueTargetGroups(tx, l.LoadBalancerArn)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyListenerOutput{Listeners: []Listener{out}}, nil
}

// DeleteListener deletes a listener and its rules, and closes its port.
func (s *Service) DeleteListener(ctx context.Context, in *DeleteListenerInput) (*DeleteListenerOutput, error) {
	err := s.change(ctx, func(tx *store.Tx) error {
		rec, err := s.mustListener(tx, "listenerArn", in.ListenerArn)
		if err != nil {
			return err
		}
		rules, err := s.rulesOf(tx, rec)
		if err != nil {
			return err
		}
		for _, r := range rules {
			rr, _ := s.parseARN(r.Rule.RuleArn)
			if err := tx.Delete(bucketRules, ruleKey(rr.name, rr.listenerID, rr.ruleID)); err != nil {
				return err
			}
		}
		return tx.Delete(bucketListeners, listenerKey(lbNameOf(rec.Listener.LoadBalancerArn), rec.ID))
	})
	if err != nil {
		return nil, err
	}
	return &DeleteListenerOutput{}, nil
}
