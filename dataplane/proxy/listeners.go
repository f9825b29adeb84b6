package proxy

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// listener is one open port.
type listener struct {
	port uint32
	tls  bool
	ln   net.Listener
	srv  *http.Server
}

// openInitialPorts opens the configured ports that no snapshot opened yet.
func (s *Server) openInitialPorts() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.cfg.InitialPorts {
		if _, ok := s.listeners[p]; ok {
			continue
		}
		l, err := s.listen(p, false)
		if err != nil {
			return err
		}
		s.listeners[p] = l
	}
	return nil
}

// openPorts makes every port of t listen with t's protocol. Ports opened here are closed
// again when one fails.
func (s *Server) openPorts(t *table) error {
	var opened []*listener
	for port, pt := range t.ports {
		wantTLS := pt.protocol == snapshotv1.Protocol_HTTPS
		if l, ok := s.listeners[port]; ok {
			if l.tls == wantTLS {
				continue
			}
			// The protocol changed: the port must be free before it reopens.
			s.closeListener(l)
			delete(s.listeners, port)
		}
		l, err := s.listen(port, wantTLS)
		if err != nil {
			for _, o := range opened {
				s.closeListener(o)
				delete(s.listeners, o.port)
			}
			return err
		}
		opened = append(opened, l)
		s.listeners[port] = l
	}
	return nil
}

// closeUnusedPorts closes the listeners t has no port for.
func (s *Server) closeUnusedPorts(t *table) {
	for port, l := range s.listeners {
		if _, ok := t.ports[port]; !ok {
			s.closeListener(l)
			delete(s.listeners, port)
		}
	}
}

func (s *Server) listen(port uint32, useTLS bool) (*listener, error) {
	addr := net.JoinHostPort(s.cfg.ListenHost, strconv.FormatUint(uint64(port), 10))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(!useTLS)
	srv := &http.Server{
		Handler:           s.Handler(port),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		Protocols:         protocols,
		ErrorLog:          log.New(logWriter{s.log.WithValues("port", port)}, "", 0),
	}
	l := &listener{port: port, tls: useTLS, ln: ln, srv: srv}
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		var err error
		if useTLS {
			srv.TLSConfig = s.tlsConfig(port)
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Error(err, "listener stopped", "port", port)
		}
	}()
	s.log.Info("listening", "address", addr, "tls", useTLS)
	return l, nil
}

// closeListener stops accepting on l at once and lets its in-flight requests finish.
func (s *Server) closeListener(l *listener) {
	_ = l.ln.Close()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if err := l.srv.Shutdown(ctx); err != nil {
			s.log.Error(err, "closing listener", "port", l.port)
		}
	}()
	s.log.Info("listener closed", "port", l.port)
}
