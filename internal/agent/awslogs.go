package agent

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/ecs"
)

// The awslogs log driver, as ECS runs it (through Docker's awslogs driver): options,
// stream names, and the limits of CloudWatch Logs' PutLogEvents it batches by.

// logDriverAWSLogs is the log driver whose output the agent ships.
const logDriverAWSLogs = "awslogs"

// Options of the awslogs log driver.
const (
	optGroup            = "awslogs-group"
	optRegion           = "awslogs-region"
	optStreamPrefix     = "awslogs-stream-prefix"
	optCreateGroup      = "awslogs-create-group"
	optDatetimeFormat   = "awslogs-datetime-format"
	optMultilinePattern = "awslogs-multiline-pattern"
	optMode             = "mode"
	optMaxBufferSize    = "max-buffer-size"
)

// ignoredOptions are the other options Docker's awslogs driver (or ECS around it)
// knows: accepted, without effect here.
var ignoredOptions = []string{
	"awslogs-endpoint", "awslogs-credentials-endpoint", "awslogs-format", "awslogs-stream",
	"awslogs-create-stream", "awslogs-force-flush-interval-seconds", "awslogs-max-buffered-events",
	"tag", "labels", "labels-regex", "env", "env-regex",
}

// Delivery modes (the mode option).
const (
	modeBlocking    = "blocking"
	modeNonBlocking = "non-blocking"
)

// defaultMaxBufferSize is the buffer of a non-blocking container when max-buffer-size
// is not set: 10m, as ECS documents it.
const defaultMaxBufferSize = 10 << 20

// Limits of PutLogEvents, which a batch of events respects.
const (
	eventOverhead  = 26                      // bytes counted per event on top of its message
	maxEventBytes  = 256<<10 - eventOverhead // the longest message of an event
	maxBatchBytes  = 1_048_576               // messages plus overheads of one batch
	maxBatchEvents = 10_000                  // events of one batch
	maxBatchSpan   = 24 * time.Hour          // between a batch's first and last event
)

// awslogsConfig is the awslogs configuration of one container.
type awslogsConfig struct {
	group        string
	streamPrefix string
	createGroup  bool
	blocking     bool
	bufferSize   int            // the buffer of a non-blocking container, in bytes
	pattern      *regexp.Regexp // a line it matches starts an event; nil: one event per line
}

// awslogsOf returns the awslogs configuration of a container definition; ok is false
// when it uses another log driver (or none). An invalid configuration is an error
// that names the option, in the words of Docker's awslogs driver.
func awslogsOf(cd ecs.ContainerDefinition) (cfg awslogsConfig, ok bool, err error) {
	lc := cd.LogConfiguration
	if lc == nil || lc.LogDriver != logDriverAWSLogs {
		return awslogsConfig{}, false, nil
	}
	cfg, err = parseAWSLogs(lc.Options)
	return cfg, true, err
}

// parseAWSLogs parses the options of the awslogs log driver. Unknown options are
// refused, as Docker refuses them. When both awslogs-datetime-format and
// awslogs-multiline-pattern are set, the datetime format is used, as ECS documents.
func parseAWSLogs(opts map[string]string) (awslogsConfig, error) {
	cfg := awslogsConfig{bufferSize: defaultMaxBufferSize}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		switch k {
		case optGroup, optRegion, optStreamPrefix, optCreateGroup, optDatetimeFormat, optMultilinePattern, optMode, optMaxBufferSize:
		default:
			if !slices.Contains(ignoredOptions, k) {
				return awslogsConfig{}, fmt.Errorf("unknown log opt '%s' for awslogs log driver", k)
			}
		}
	}
	cfg.group = opts[optGroup]
	if cfg.group == "" {
		return awslogsConfig{}, fmt.Errorf("must specify a value for log opt '%s'", optGroup)
	}
	cfg.streamPrefix = opts[optStreamPrefix]
	if v := opts[optCreateGroup]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return awslogsConfig{}, fmt.Errorf("must specify valid value for log opt '%s': %q is not a boolean", optCreateGroup, v)
		}
		cfg.createGroup = b
	}
	switch mode := opts[optMode]; mode {
	case "", modeNonBlocking:
	case modeBlocking:
		cfg.blocking = true
	default:
		return awslogsConfig{}, fmt.Errorf("logging mode not supported: %q: use %s or %s", mode, modeBlocking, modeNonBlocking)
	}
	if v, ok := opts[optMaxBufferSize]; ok {
		if cfg.blocking {
			return awslogsConfig{}, fmt.Errorf("log opt '%s' is only supported with '%s=%s'", optMaxBufferSize, optMode, modeNonBlocking)
		}
		n, err := parseSize(v)
		if err != nil {
			return awslogsConfig{}, fmt.Errorf("log opt '%s': %w", optMaxBufferSize, err)
		}
		cfg.bufferSize = n
	}
	pattern := opts[optMultilinePattern]
	if f := opts[optDatetimeFormat]; f != "" {
		pattern = strftimeRegexp(f)
	}
	if pattern != "" {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return awslogsConfig{}, fmt.Errorf("awslogs could not parse multiline pattern %q: %w", pattern, err)
		}
		cfg.pattern = re
	}
	return cfg, nil
}

// strftimeSequences matches the sequences of a strftime format.
var strftimeSequences = regexp.MustCompile(`%.`)

// strftimeToRegexp maps strftime sequences to what they match, as Docker's awslogs
// driver does; other sequences match nothing (they are removed), as there.
var strftimeToRegexp = map[string]string{
	"%a": `(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)`,
	"%A": `(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)`,
	"%w": `[0-6]`,
	"%d": `(?:0[1-9]|[1,2][0-9]|3[0,1])`,
	"%b": `(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)`,
	"%B": `(?:January|February|March|April|May|June|July|August|September|October|November|December)`,
	"%m": `(?:0[1-9]|1[0-2])`,
	"%Y": `\d{4}`,
	"%y": `\d{2}`,
	"%H": `(?:[0,1][0-9]|2[0-3])`,
	"%I": `(?:0[0-9]|1[0-2])`,
	"%p": `[A,P]M`,
	"%M": `[0-5][0-9]`,
	"%S": `[0-5][0-9]`,
	"%f": `\d{6}`,
	"%z": `[+-]\d{4}`,
	"%Z": `[A-Z]{1,4}T`,
	"%j": `(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])`,
	"%L": `\.\d{3}`,
}

// strftimeRegexp turns an awslogs-datetime-format into the regular expression that
// finds it in a line. The text between sequences is kept as it is, so it is itself a
// regular expression (Docker's example escapes a bracket: "\[%b %d, %Y %H:%M:%S\]").
// As in Docker, a line that holds the format anywhere starts an event.
func strftimeRegexp(format string) string {
	return strftimeSequences.ReplaceAllStringFunc(format, func(s string) string { return strftimeToRegexp[s] })
}

// sizeRE is the syntax of a size option, as Docker's go-units reads it.
var sizeRE = regexp.MustCompile(`^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$`)

// parseSize parses a size in bytes with an optional binary unit: "25m" is 25 MiB.
func parseSize(s string) (int, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q: want a number with an optional unit (k, m, g)", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	if m[2] != "" {
		n *= float64(int64(1) << (10 * (1 + strings.IndexByte("kmgtp", strings.ToLower(m[2])[0]))))
	}
	const most = 1 << 40 // a buffer beyond this is a mistake, and overflows int on 32 bits
	if n < 1 || n > most || n > float64(maxInt) {
		return 0, fmt.Errorf("invalid size %q: must be between 1 byte and 1 TiB", s)
	}
	return int(n), nil
}

// maxInt is the largest int.
const maxInt = int(^uint(0) >> 1)

// streamName is the log stream of a container: prefix/container-name/task-id with a
// stream prefix, else the container's runtime id (ECS names it after the Docker
// container id).
func streamName(prefix, container, taskArn, runtimeID string) string {
	if prefix == "" {
		return runtimeID
	}
	return prefix + "/" + container + "/" + taskID(taskArn)
}

// errNoLogSink is why a container's awslogs output is not shipped on a node without
// a sink.
var errNoLogSink = errors.New("this node has no log sink (agent.Config.Logs)")
