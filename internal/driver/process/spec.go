package process

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// ImagePrefix starts the image of a container that runs as a host process.
const ImagePrefix = "process:"

// Defaults for zero fields of a spec, as ECS and Docker apply them.
const (
	defaultPath           = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	defaultStopTimeout    = 30 * time.Second
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// nameRE is Docker's rule for container names; it also keeps the log file name inside
// the state directory.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// startErr builds a *driver.StartError.
func startErr(reason string, format string, args ...any) *driver.StartError {
	return &driver.StartError{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// checkName validates a container name.
func checkName(name string) error {
	if name == "" {
		return errors.New("container name is empty")
	}
	if len(name) > 200 || !nameRE.MatchString(name) {
		return fmt.Errorf("container name %q is invalid: use 1 to 200 letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	return nil
}

// imagePath returns the executable of a "process:<absolute path>" image, or why it
// cannot be used: not a process image, not absolute, missing, a directory, or not
// executable.
func imagePath(image string) (string, error) {
	path, ok := strings.CutPrefix(image, ImagePrefix)
	if !ok {
		return "", fmt.Errorf("image %q is not a process image: want %s<absolute path>", image, ImagePrefix)
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("process image %q: path is not absolute", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("process image %q: %w", path, err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("process image %q: is a directory", path)
	}
	if fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("process image %q: not executable (mode %s)", path, fi.Mode())
	}
	return path, nil
}

// processArgs returns the arguments after argv[0]: EntryPoint then Command, without
// EntryPoint[0] when it names the image itself.
func processArgs(path string, entryPoint, command []string) []string {
	if len(entryPoint) > 0 && entryPoint[0] == path {
		entryPoint = entryPoint[1:]
	}
	args := make([]string, 0, len(entryPoint)+len(command))
	args = append(args, entryPoint...)
	return append(args, command...)
}

// resolveUser resolves a spec's User ("name", "uid", "name:group", "uid:gid", ...)
// into the credential to run as and that user's home directory. The credential is nil
// when the process runs as Wharf's own user; running as another user needs root.
func resolveUser(spec string) (*credential, string, error) {
	if spec == "" {
		home := "/"
		if u, err := user.Current(); err == nil && u.HomeDir != "" {
			home = u.HomeDir
		}
		return nil, home, nil
	}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" || (hasGroup && groupPart == "") {
		return nil, "", fmt.Errorf("user %q: want name, uid, name:group or uid:gid", spec)
	}
	var (
		c credential
		u *user.User
	)
	if n, err := strconv.ParseUint(userPart, 10, 32); err == nil {
		c.UID = uint32(n)
		u, _ = user.LookupId(userPart) // a uid without a passwd entry is allowed, as in Docker
	} else {
		u, err = user.Lookup(userPart)
		if err != nil {
			return nil, "", fmt.Errorf("user %q: %w", spec, err)
		}
		n, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, "", fmt.Errorf("user %q: uid %q: %w", spec, u.Uid, err)
		}
		c.UID = uint32(n)
	}
	home := "/"
	if u != nil && u.HomeDir != "" {
		home = u.HomeDir
	}
	switch {
	case hasGroup:
		if n, err := strconv.ParseUint(groupPart, 10, 32); err == nil {
			c.GID = uint32(n)
		} else {
			g, err := user.LookupGroup(groupPart)
			if err != nil {
				return nil, "", fmt.Errorf("user %q: %w", spec, err)
			}
			n, err := strconv.ParseUint(g.Gid, 10, 32)
			if err != nil {
				return nil, "", fmt.Errorf("user %q: gid %q: %w", spec, g.Gid, err)
			}
			c.GID = uint32(n)
		}
	case u != nil:
		n, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, "", fmt.Errorf("user %q: gid %q: %w", spec, u.Gid, err)
		}
		c.GID = uint32(n)
	}
	if u != nil {
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if n, err := strconv.ParseUint(id, 10, 32); err == nil && uint32(n) != c.GID {
				c.Groups = append(c.Groups, uint32(n))
			}
		}
	}
	euid, egid := os.Geteuid(), os.Getegid()
	if euid != 0 {
		if int(c.UID) == euid && int(c.GID) == egid {
			return nil, home, nil
		}
		return nil, "", fmt.Errorf("user %q (uid %d, gid %d): Wharf runs as uid %d, gid %d and can run a process as another user only when it runs as root",
			spec, c.UID, c.GID, euid, egid)
	}
	return &c, home, nil
}

// workingDir returns the directory to run in: the spec's, which must be an existing
// absolute directory, or Wharf's own working directory.
func workingDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("working directory: %w", err)
		}
		return wd, nil
	}
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("working directory %q: path is not absolute", dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("working directory %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("working directory %q: not a directory", dir)
	}
	return dir, nil
}

// checkEnv validates the names and values of a spec's environment.
func checkEnv(env map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("environment variable name %q is invalid: it must be non-empty and hold no '=' or NUL", k)
		}
		if strings.ContainsRune(env[k], 0) {
			return fmt.Errorf("environment variable %s: value holds a NUL byte", k)
		}
	}
	return nil
}

// buildEnv returns the process environment, sorted: the spec's, plus PATH, HOME and
// PORT (the first binding's host port) when the spec does not set them.
func buildEnv(env map[string]string, home string, ports []driver.PortBinding) []string {
	all := maps.Clone(env)
	if all == nil {
		all = map[string]string{}
	}
	if _, ok := all["PATH"]; !ok {
		all["PATH"] = defaultPath
	}
	if _, ok := all["HOME"]; !ok {
		all["HOME"] = home
	}
	if _, ok := all["PORT"]; !ok && len(ports) > 0 {
		all["PORT"] = strconv.Itoa(ports[0].HostPort)
	}
	out := make([]string, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		out = append(out, k+"="+all[k])
	}
	return out
}

// checkHealthCheck validates a health check command; ["NONE"] disables the check.
func checkHealthCheck(hc *driver.HealthCheck) (*driver.HealthCheck, error) {
	if hc == nil || (len(hc.Command) == 1 && hc.Command[0] == "NONE") {
		return nil, nil
	}
	if len(hc.Command) < 2 || (hc.Command[0] != "CMD" && hc.Command[0] != "CMD-SHELL") {
		return nil, fmt.Errorf("health check command %q: want [\"CMD\", program, args...] or [\"CMD-SHELL\", command]", hc.Command)
	}
	if hc.Interval < 0 || hc.Timeout < 0 || hc.Retries < 0 || hc.StartPeriod < 0 {
		return nil, errors.New("health check interval, timeout, retries and start period must not be negative")
	}
	c := *hc
	c.Command = slices.Clone(hc.Command)
	if c.Interval == 0 {
		c.Interval = defaultHealthInterval
	}
	if c.Timeout == 0 {
		c.Timeout = defaultHealthTimeout
	}
	if c.Retries == 0 {
		c.Retries = defaultHealthRetries
	}
	return &c, nil
}

// portKey names a host port in the driver's reservations.
func portKey(protocol string, port int) string { return protocol + "/" + strconv.Itoa(port) }

// normalizeProtocol returns "tcp" or "udp".
func normalizeProtocol(p string) (string, error) {
	switch strings.ToLower(p) {
	case "", "tcp":
		return "tcp", nil
	case "udp":
		return "udp", nil
	}
	return "", fmt.Errorf("port protocol %q: want tcp or udp", p)
}

// bindPorts turns mappings into bindings on all host interfaces. A zero HostPort gets
// a free port from the kernel that is not in reserved; a fixed one must be free.
// Every port is held open until all are chosen, so that one spec never gets the same
// port twice. The returned error is a *driver.StartError.
func bindPorts(mappings []driver.PortMapping, reserved map[string]string) ([]driver.PortBinding, error) {
	var held []func() error
	defer func() {
		for _, closeFn := range held {
			closeFn()
		}
	}()
	// listen holds protocol's port (0: any) open and returns its number.
	listen := func(protocol string, port int) (int, error) {
		addr := ":" + strconv.Itoa(port)
		if protocol == "udp" {
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				return 0, err
			}
			held = append(held, c.Close)
			return c.LocalAddr().(*net.UDPAddr).Port, nil
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return 0, err
		}
		held = append(held, l.Close)
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	var bindings []driver.PortBinding
	for _, m := range mappings {
		protocol, err := normalizeProtocol(m.Protocol)
		if err != nil {
			return nil, &driver.StartError{Reason: driver.CannotCreateContainerError, Err: err}
		}
		if m.HostPort < 0 || m.HostPort > 65535 || m.ContainerPort < 0 || m.ContainerPort > 65535 {
			return nil, startErr(driver.CannotCreateContainerError, "port mapping %d:%d: ports must be between 0 and 65535", m.HostPort, m.ContainerPort)
		}
		port := m.HostPort
		if port != 0 {
			if id, ok := reserved[portKey(protocol, port)]; ok {
				return nil, startErr(driver.CannotStartContainerError, "port %d is already in use (%s, by container %s)", port, protocol, id)
			}
			if _, err := listen(protocol, port); err != nil {
				if errors.Is(err, syscall.EADDRINUSE) {
					return nil, startErr(driver.CannotStartContainerError, "port %d is already in use (%s)", port, protocol)
				}
				return nil, startErr(driver.CannotStartContainerError, "port %d (%s): %w", port, protocol, err)
			}
		} else {
			for tries := 0; ; tries++ {
				p, err := listen(protocol, 0)
				if err != nil {
					return nil, startErr(driver.CannotStartContainerError, "allocate a %s port: %w", protocol, err)
				}
				if _, taken := reserved[portKey(protocol, p)]; !taken {
					port = p
					break
				}
				if tries == 100 {
					return nil, startErr(driver.CannotStartContainerError, "allocate a %s port: every port offered is reserved", protocol)
				}
			}
		}
		cport := m.ContainerPort
		if cport == 0 {
			cport = port
		}
		bindings = append(bindings, driver.PortBinding{ContainerPort: cport, HostPort: port, Protocol: protocol, BindIP: "0.0.0.0"})
	}
	return bindings, nil
}
