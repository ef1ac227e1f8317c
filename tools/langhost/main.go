// Language-host front for the Pulumi toolchain our tests build (see tests/README.md): installed as
// pulumi-language-nodejs / pulumi-language-python / pulumi-language-go, it starts the older real host installed beside it
// (pulumi-language-<lang>-v<version>), forwards every gRPC call to it byte for byte, and serves in
// process only the code-generation calls that host predates (GeneratePackage, GenerateProgram,
// GenerateProject, and Link, which `pulumi convert` calls after them), using Pulumi's own code
// from pkg/v3 and sdk/v3.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Same limit the Pulumi engine and hosts use (rpcutil's maxRPCMessageSize): schemas can be large.
const maxMessageSize = 400 * 1024 * 1024

// The LanguageRuntime methods answered here instead of by the real host.
var inProcess = map[string]bool{
	"GeneratePackage": true,
	"GenerateProgram": true,
	"GenerateProject": true,
	"Link":            true,
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s (front): %s\n", filepath.Base(os.Args[0]), fmt.Sprintf(format, args...))
	os.Exit(1)
}

func main() {
	// Pdeathsig (below) fires when the thread that started the child exits; the main goroutine
	// stays on the main thread, which lives as long as the process.
	runtime.LockOSThread()

	self, err := os.Executable()
	if err != nil {
		fail("cannot locate own executable: %v", err)
	}
	name := filepath.Base(self)
	lang := strings.TrimPrefix(name, "pulumi-language-")
	if lang != "nodejs" && lang != "python" && lang != "go" {
		fail("unsupported language %q: install this program as pulumi-language-nodejs, -python or -go", lang)
	}

	realHost, err := findRealHost(self)
	if err != nil {
		fail("%v", err)
	}

	child := exec.Command(realHost, os.Args[1:]...)
	child.Stdin = os.Stdin
	child.Stderr = os.Stderr
	// Own process group, so the engine's group-wide SIGINT reaches the child once (forwarded by
	// us); Pdeathsig so a SIGKILLed front never leaves the child behind.
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	childOut, err := child.StdoutPipe()
	if err != nil {
		fail("stdout pipe: %v", err)
	}
	if err := child.Start(); err != nil {
		fail("starting %s: %v", realHost, err)
	}
	childDone := make(chan int, 1)
	go func() {
		err := child.Wait()
		code := 0
		if err != nil {
			code = 1
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					code = 128 + int(ws.Signal()) // as a shell reports it
				} else if ee.ExitCode() >= 0 {
					code = ee.ExitCode()
				}
			}
		}
		childDone <- code
	}()

	// Signals that arrive before or after the port line go to the child; its exit ends us.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	out := bufio.NewReader(childOut)
	line, readErr := out.ReadString('\n')
	port, perr := strconv.Atoi(strings.TrimSpace(line))
	if readErr != nil || perr != nil || port <= 0 {
		// Not a plugin start (e.g. -version or a startup error): pass the child's output through
		// and exit as it does.
		os.Stdout.WriteString(line)
		_, _ = io.Copy(os.Stdout, out)
		for {
			select {
			case s := <-sigs:
				_ = child.Process.Signal(s)
			case code := <-childDone:
				os.Exit(code)
			}
		}
	}

	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(
			grpc.ForceCodecV2(rawCodec{}),
			grpc.MaxCallRecvMsgSize(maxMessageSize),
			grpc.MaxCallSendMsgSize(maxMessageSize),
		))
	if err != nil {
		_ = child.Process.Kill()
		fail("dialing %s on port %d: %v", realHost, port, err)
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = child.Process.Kill()
		fail("listen: %v", err)
	}
	srv := grpc.NewServer(
		grpc.ForceServerCodecV2(rawCodec{}),
		grpc.UnknownServiceHandler((&proxy{conn: conn}).handle),
		grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.MaxSendMsgSize(maxMessageSize),
	)
	registerInProcess(srv, newCodegenHost(lang))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	// The plugin contract: our port alone on the first stdout line. os.Stdout is unbuffered;
	// Sync flushes where the descriptor allows it (it fails harmlessly on pipes).
	fmt.Fprintf(os.Stdout, "%d\n", lis.Addr().(*net.TCPAddr).Port)
	_ = os.Stdout.Sync()
	go func() { _, _ = io.Copy(os.Stdout, out) }()

	for {
		select {
		case s := <-sigs:
			_ = child.Process.Signal(s)
			go func() {
				// The real host stops its server on SIGINT; make sure it goes.
				time.Sleep(5 * time.Second)
				_ = child.Process.Kill()
			}()
		case code := <-childDone:
			srv.Stop()
			os.Exit(code)
		case err := <-served:
			_ = child.Process.Kill()
			if err != nil {
				fail("serving: %v", err)
			}
			os.Exit(0)
		}
	}
}

// findRealHost returns the single pulumi-language-<lang>-v* executable beside this one.
func findRealHost(self string) (string, error) {
	matches, err := filepath.Glob(self + "-v*")
	if err != nil {
		return "", err
	}
	var found []string
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("no real language host %s-v* beside %s", filepath.Base(self), self)
	default:
		return "", fmt.Errorf("several real language hosts beside %s: %s", self, strings.Join(found, ", "))
	}
}

// frame is one undecoded gRPC message.
type frame struct{ data []byte }

// rawCodec passes frames through untouched and encodes everything else (the in-process
// methods' requests and responses) as protobuf. Its name is "proto", so the wire content type
// is the usual application/grpc+proto.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if f, ok := v.(*frame); ok {
		return mem.BufferSlice{mem.SliceBuffer(f.data)}, nil
	}
	return encoding.GetCodecV2("proto").Marshal(v)
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if f, ok := v.(*frame); ok {
		f.data = data.Materialize()
		return nil
	}
	return encoding.GetCodecV2("proto").Unmarshal(data, v)
}

// proxy forwards any call the server does not handle itself to the real host as a
// bidirectional stream of raw frames, which covers unary and streaming methods alike, and
// carries request metadata, response headers, trailers and the final status across.
type proxy struct{ conn *grpc.ClientConn }

var bidi = &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}

func (p *proxy) handle(_ any, ss grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(ss)
	if !ok {
		return status.Error(codes.Internal, "front: no method name on stream")
	}
	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	cs, err := p.conn.NewStream(ctx, bidi, method)
	if err != nil {
		return err
	}

	// Caller -> real host.
	go func() {
		for {
			f := &frame{}
			if err := ss.RecvMsg(f); err != nil {
				if err == io.EOF {
					_ = cs.CloseSend()
				} else {
					cancel()
				}
				return
			}
			if err := cs.SendMsg(f); err != nil {
				// The real host ended the call; its status arrives through RecvMsg below.
				return
			}
		}
	}()

	// Real host -> caller.
	headerSent := false
	for {
		f := &frame{}
		err := cs.RecvMsg(f)
		if !headerSent {
			headerSent = true
			if md, herr := cs.Header(); herr == nil && len(md) > 0 {
				if err := ss.SendHeader(md); err != nil {
					return err
				}
			}
		}
		if err != nil {
			ss.SetTrailer(cs.Trailer())
			if err == io.EOF {
				return nil
			}
			return err // a status error: code, message and details pass through
		}
		if err := ss.SendMsg(f); err != nil {
			return err
		}
	}
}

// registerInProcess registers only the in-process methods of pulumirpc.LanguageRuntime; calls
// to its other methods find no handler and go to the proxy.
func registerInProcess(srv *grpc.Server, impl pulumirpc.LanguageRuntimeServer) {
	full := pulumirpc.LanguageRuntime_ServiceDesc
	desc := grpc.ServiceDesc{
		ServiceName: full.ServiceName,
		HandlerType: full.HandlerType,
		Metadata:    full.Metadata,
	}
	for _, m := range full.Methods {
		if inProcess[m.MethodName] {
			desc.Methods = append(desc.Methods, m)
		}
	}
	if len(desc.Methods) != len(inProcess) {
		fail("pulumirpc.LanguageRuntime lacks some of the in-process methods")
	}
	srv.RegisterService(&desc, impl)
}
