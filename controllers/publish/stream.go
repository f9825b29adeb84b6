package publish

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-logr/logr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/types"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Stream serves one proxy: it reads the Hello, sends the Gateway's snapshot whenever its
// version differs from what the proxy serves, and records the proxy's ACKs and NACKs.
func (s *Server) Stream(st snapshotv1.SnapshotService_StreamServer) error {
	first, err := st.Recv()
	if err != nil {
		return fmt.Errorf("receiving hello: %w", err)
	}
	hello := first.GetHello()
	if hello == nil {
		return status.Error(codes.InvalidArgument, "the first message of a stream must be a Hello")
	}
	if hello.GetGatewayNamespace() == "" || hello.GetGatewayName() == "" {
		return status.Error(codes.InvalidArgument, "hello: gateway_namespace and gateway_name are required")
	}
	gw := types.NamespacedName{Namespace: hello.GetGatewayNamespace(), Name: hello.GetGatewayName()}
	p, _ := peer.FromContext(st.Context())
	if bound, ok := peerGateway(p); ok && bound != gw {
		return status.Errorf(codes.PermissionDenied, "this client certificate is for Gateway %s, not %s", bound, gw)
	}
	instance := hello.GetInstance()
	if instance == "" {
		instance = peerAddress(st)
	}
	log := s.cfg.Logger.WithValues("gateway", gw.String(), "instance", instance)
	log.Info("proxy connected", "serving", hello.GetCurrentVersion())
	s.cfg.Tracker.Connect(gw, instance, hello.GetCurrentVersion())
	connectedProxies.WithLabelValues(gw.String()).Inc()
	defer func() {
		connectedProxies.WithLabelValues(gw.String()).Dec()
		s.cfg.Tracker.Disconnect(gw, instance)
		log.Info("proxy disconnected")
	}()

	received := make(chan error, 1)
	resend := make(chan struct{}, 1)
	go func() { received <- s.receive(st, gw, instance, log, resend) }()
	return s.send(st, gw, hello, received, resend)
}

// send writes gw's snapshot each time its version differs from the last one the proxy
// has, until the stream or the server ends: as a patch against that one to a proxy that
// accepts patches, whole after the proxy asked for it (resend).
func (s *Server) send(st snapshotv1.SnapshotService_StreamServer, gw types.NamespacedName, hello *snapshotv1.Hello, received <-chan error, resend <-chan struct{}) error {
	has, whole := hello.GetCurrentVersion(), false
	for {
		snap, encoded, changed := s.cfg.Store.watch(gw)
		if snap != nil && snap.GetVersion() != has {
			base := has
			if whole {
				base = ""
			}
			msg, err := s.response(gw, snap, encoded, base, hello.GetAcceptsPatches())
			if err != nil {
				return err
			}
			if err := st.SendMsg(msg); err != nil {
				return fmt.Errorf("sending snapshot %s of %s: %w", ShortVersion(snap.GetVersion()), gw, err)
			}
			snapshotsSent.WithLabelValues(gw.String()).Inc()
			has, whole = snap.GetVersion(), false
		}
		select {
		case <-changed:
		case <-resend:
			has, whole = "", true
		case err := <-received:
			return err
		case <-st.Context().Done():
			return nil
		case <-s.stopping:
			return status.Error(codes.Unavailable, "the controller is shutting down")
		}
	}
}

// response is the message carrying snap: a patch against base (whole when base is
// empty or no longer kept) to a proxy that accepts patches, else the snapshot.
func (s *Server) response(gw types.NamespacedName, snap *snapshotv1.Snapshot, encoded []byte, base string, patches bool) (any, error) {
	switch {
	case encoded == nil:
		return &snapshotv1.StreamResponse{Snapshot: snap}, nil
	case !patches:
		return newEncodedResponse(encoded), nil
	}
	p, err := s.cfg.Store.patch(gw, snap.GetVersion(), encoded, base)
	if err != nil {
		return nil, fmt.Errorf("writing snapshot %s of %s as a patch: %w", ShortVersion(snap.GetVersion()), gw, err)
	}
	if p.GetBaseVersion() != "" {
		patchesSent.WithLabelValues(gw.String()).Inc()
	}
	return &snapshotv1.StreamResponse{Patch: p}, nil
}

// receive records ACKs and NACKs until the proxy closes its side or the stream fails. A
// Nack asking for the snapshot whole is no rejection: it wakes send through resend.
func (s *Server) receive(st snapshotv1.SnapshotService_StreamServer, gw types.NamespacedName, instance string, log logr.Logger, resend chan<- struct{}) error {
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch k := req.GetKind().(type) {
		case *snapshotv1.StreamRequest_Ack:
			acks.WithLabelValues(gw.String()).Inc()
			log.V(1).Info("snapshot acknowledged", "version", k.Ack.GetVersion())
			s.cfg.Tracker.Ack(gw, instance, k.Ack.GetVersion())
		case *snapshotv1.StreamRequest_Nack:
			if k.Nack.GetResendWhole() {
				log.Info("proxy asks for the snapshot whole", "version", k.Nack.GetVersion(), "reason", k.Nack.GetError())
				select {
				case resend <- struct{}{}:
				default:
				}
				continue
			}
			nacks.WithLabelValues(gw.String()).Inc()
			log.Info("snapshot rejected", "version", k.Nack.GetVersion(), "reason", k.Nack.GetError())
			s.cfg.Tracker.Nack(gw, instance, k.Nack.GetVersion(), k.Nack.GetError())
		case *snapshotv1.StreamRequest_Hello:
			return status.Error(codes.InvalidArgument, "hello may only be the first message of a stream")
		}
	}
}

// peerAddress names a proxy that did not say its instance.
func peerAddress(st snapshotv1.SnapshotService_StreamServer) string {
	if p, ok := peer.FromContext(st.Context()); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return "unknown"
}

// ShortVersion is the first 8 characters of a version, as users see it in statuses.
func ShortVersion(version string) string {
	if len(version) > 8 {
		return version[:8]
	}
	return version
}
