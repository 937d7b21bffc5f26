package elbv2

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// writeCert writes a self-signed certificate to dir/name.pem and its key to dir/name.key
// (or into the same file when together is set); it returns the certificate's path.
func writeCert(t *testing.T, dir, name string, together bool) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "web.localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"web.localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	path := filepath.Join(dir, name+".pem")
	if together {
		certPEM = append(certPEM, keyPEM...)
	} else if err := os.WriteFile(filepath.Join(dir, name+".key"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestListeners(t *testing.T) {
	e := newEnv(t)
	lb := e.lb("web")
	lbARN := aws.ToString(lb.LoadBalancerArn)
	tg := e.tg("api")
	l := e.listener(lbARN, 8080, aws.ToString(tg.TargetGroupArn))
	if !lisARNPattern.MatchString(aws.ToString(l.ListenerArn)) || aws.ToString(l.LoadBalancerArn) != lbARN || aws.ToInt32(l.Port) != 8080 ||
		l.Protocol != types.ProtocolEnumHttp || len(l.DefaultActions) != 1 {
		t.Fatalf("listener = %+v", l)
	}
	// AWS fills a forward action in both forms, with weight 1 and order 1.
	a := l.DefaultActions[0]
	if aws.ToString(a.TargetGroupArn) != aws.ToString(tg.TargetGroupArn) || aws.ToInt32(a.Order) != 1 || a.ForwardConfig == nil ||
		len(a.ForwardConfig.TargetGroups) != 1 || aws.ToInt32(a.ForwardConfig.TargetGroups[0].Weight) != 1 ||
		aws.ToBool(a.ForwardConfig.TargetGroupStickinessConfig.Enabled) {
		t.Errorf("default action = %+v", a)
	}
	if again := e.listener(lbARN, 8080, aws.ToString(tg.TargetGroupArn)); aws.ToString(again.ListenerArn) != aws.ToString(l.ListenerArn) {
		t.Errorf("idempotent create made %s", aws.ToString(again.ListenerArn))
	}
	_, err := e.client.CreateListener(e.ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), DefaultActions: []types.Action{fixed("404")},
	})
	wantType[*types.DuplicateListenerException](t, err)

	// HTTPS with a certificate read from PEM files, key beside it or in the same file.
	dir := t.TempDir()
	for _, together := range []bool{false, true} {
		name := map[bool]string{false: "apart", true: "together"}[together]
		cert := writeCert(t, dir, name, together)
		port := map[bool]int32{false: 8443, true: 9443}[together]
		out, err := e.client.CreateListener(e.ctx, &elb.CreateListenerInput{
			LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttps, Port: aws.Int32(port),
			Certificates:   []types.Certificate{{CertificateArn: aws.String("file://" + cert)}},
			DefaultActions: []types.Action{fixed("200")},
		})
		if err != nil {
			t.Fatalf("HTTPS listener (%s): %v", name, err)
		}
		h := out.Listeners[0]
		if aws.ToString(h.SslPolicy) != "ELBSecurityPolicy-2016-08" || len(h.Certificates) != 1 || aws.ToString(h.Certificates[0].CertificateArn) != "file://"+cert {
			t.Errorf("HTTPS listener = %+v", h)
		}
		var served *ListenerConfig
		for _, lc := range e.dp.snapshot().Listeners {
			if lc.ARN == aws.ToString(h.ListenerArn) {
				served = &lc
			}
		}
		if served == nil || served.Protocol != "HTTPS" || len(served.CertificatePEM) == 0 || len(served.KeyPEM) == 0 {
			t.Errorf("data plane HTTPS listener = %+v", served)
		}
	}

	tests := []struct {
		name string
		in   elb.CreateListenerInput
		code string
		msg  string
	}{
		{"tcp", elb.CreateListenerInput{Protocol: types.ProtocolEnumTcp, Port: aws.Int32(81)}, "ValidationError", "must be one of 'HTTPS, HTTP'"},
		{"port", elb.CreateListenerInput{Protocol: types.ProtocolEnumHttp, Port: aws.Int32(0)}, "ValidationError", "greater than or equal to 1"},
		{"https without certificate", elb.CreateListenerInput{Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443)}, "ValidationError", "certificate must be specified"},
		{"acm certificate", elb.CreateListenerInput{Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443),
			Certificates: []types.Certificate{{CertificateArn: aws.String("arn:aws:acm:us-east-1:000000000000:certificate/x")}}}, "CertificateNotFound", "file://"},
		{"missing file", elb.CreateListenerInput{Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443),
			Certificates: []types.Certificate{{CertificateArn: aws.String("file://" + filepath.Join(dir, "none.pem"))}}}, "CertificateNotFound", "none.pem"},
		{"certificate on http", elb.CreateListenerInput{Protocol: types.ProtocolEnumHttp, Port: aws.Int32(81),
			Certificates: []types.Certificate{{CertificateArn: aws.String("file:///x.pem")}}}, "ValidationError", "only for HTTPS"},
		{"ssl policy", elb.CreateListenerInput{Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443), SslPolicy: aws.String("Modern"),
			Certificates: []types.Certificate{{CertificateArn: aws.String("file://" + filepath.Join(dir, "apart.pem"))}}}, "SSLPolicyNotFound", "Modern"},
		{"unknown target group", elb.CreateListenerInput{Protocol: types.ProtocolEnumHttp, Port: aws.Int32(81),
			DefaultActions: []types.Action{forward(aws.ToString(tg.TargetGroupArn) + "0")}}, "TargetGroupNotFound", "not found"},
		{"unknown load balancer", elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN + "0"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(81)}, "LoadBalancerNotFound", "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.LoadBalancerArn == nil {
				in.LoadBalancerArn = lb.LoadBalancerArn
			}
			if in.DefaultActions == nil {
				in.DefaultActions = []types.Action{fixed("404")}
			}
			_, err := e.client.CreateListener(e.ctx, &in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}

	desc, err := e.client.DescribeListeners(e.ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil || len(desc.Listeners) != 3 || aws.ToInt32(desc.Listeners[0].Port) != 8080 || aws.ToInt32(desc.Listeners[2].Port) != 9443 {
		t.Fatalf("DescribeListeners = %+v %v", desc, err)
	}
	paged, err := e.client.DescribeListeners(e.ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn, PageSize: aws.Int32(2)})
	if err != nil || len(paged.Listeners) != 2 || paged.NextMarker == nil {
		t.Fatalf("paged = %+v %v", paged, err)
	}
	_, err = e.client.DescribeListeners(e.ctx, &elb.DescribeListenersInput{})
	wantCode(t, err, "ValidationError", "listener ARNs or a load balancer ARN")

	// Modify: another port, then HTTPS back to HTTP (certificate and policy dropped).
	mod, err := e.client.ModifyListener(e.ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, Port: aws.Int32(8081), DefaultActions: []types.Action{fixed("503")}})
	if err != nil || aws.ToInt32(mod.Listeners[0].Port) != 8081 || mod.Listeners[0].DefaultActions[0].Type != types.ActionTypeEnumFixedResponse {
		t.Fatalf("ModifyListener = %+v %v", mod, err)
	}
	_, err = e.client.ModifyListener(e.ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, Port: aws.Int32(8443)})
	wantType[*types.DuplicateListenerException](t, err)
	https := desc.Listeners[1].ListenerArn
	mod, err = e.client.ModifyListener(e.ctx, &elb.ModifyListenerInput{ListenerArn: https, Protocol: types.ProtocolEnumHttp})
	if err != nil || len(mod.Listeners[0].Certificates) != 0 || mod.Listeners[0].SslPolicy != nil {
		t.Fatalf("HTTPS to HTTP = %+v %v", mod, err)
	}
	_, err = e.client.ModifyListener(e.ctx, &elb.ModifyListenerInput{ListenerArn: https, Protocol: types.ProtocolEnumHttps})
	wantCode(t, err, "ValidationError", "certificate must be specified")

	if _, err := e.client.DeleteListener(e.ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteListener(e.ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn})
	wantType[*types.ListenerNotFoundException](t, err)
	_, err = e.client.DescribeListeners(e.ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(l.ListenerArn)}})
	wantCode(t, err, "ListenerNotFound", "Listeners '[")
	if n := len(e.dp.snapshot().Listeners); n != 2 {
		t.Errorf("data plane serves %d listeners, want 2", n)
	}
}

// TestListenerBindFailure: a listener whose port the data plane cannot bind is not
// created, and the data plane is left serving what is stored.
func TestListenerBindFailure(t *testing.T) {
	e := newEnv(t)
	lb := e.lb("web")
	e.dp.failPort(80, errors.New("listen tcp 127.0.0.1:80: bind: address already in use"))
	_, err := e.client.CreateListener(e.ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: []types.Action{fixed("200")},
	})
	wantType[*types.InvalidConfigurationRequestException](t, err)
	wantCode(t, err, "InvalidConfigurationRequest", "cannot listen on port 80: listen tcp 127.0.0.1:80: bind: address already in use")
	out, err := e.client.DescribeListeners(e.ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil || len(out.Listeners) != 0 {
		t.Errorf("a listener was stored: %+v %v", out, err)
	}
	if snap := e.dp.snapshot(); len(snap.Listeners) != 0 {
		t.Errorf("data plane left with %+v", snap.Listeners)
	}

	// Moving a listener to a port that cannot be bound keeps it where it was.
	l := e.listener(aws.ToString(lb.LoadBalancerArn), 8080, aws.ToString(e.tg("api").TargetGroupArn))
	_, err = e.client.ModifyListener(e.ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, Port: aws.Int32(80)})
	wantCode(t, err, "InvalidConfigurationRequest", "port 80")
	out, _ = e.client.DescribeListeners(e.ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	if len(out.Listeners) != 1 || aws.ToInt32(out.Listeners[0].Port) != 8080 {
		t.Errorf("listener after failed move = %+v", out.Listeners)
	}
	if snap := e.dp.snapshot(); len(snap.Listeners) != 1 || snap.Listeners[0].Port != 8080 {
		t.Errorf("data plane after failed move = %+v", snap.Listeners)
	}
}
