package logs

import (
	"context"
	"errors"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// maxMetricFilters is AWS's quota of metric filters per log group.
const maxMetricFilters = 100

// standardUnits are the units a metric transformation may name.
var standardUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
	"Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// fieldRef names a value in a log event: a JSON selector ($.a.b) or a field of a
// space-delimited pattern ($name).
type fieldRef struct {
	path  []jsonStep
	field string
}

func (r fieldRef) value(p *Pattern, msg []byte) ([]byte, bool) {
	if r.path != nil {
		if !isJSONObject(msg) {
			return nil, false
		}
		switch kind, raw := lookupJSON(msg, r.path); kind {
		case jsonString:
			if hasEscape(raw) {
				return unescapeJSON(raw, nil), true
			}
			return raw, true
		case jsonNumber, jsonTrue, jsonFalse:
			return raw, true
		}
		return nil, false
	}
	return p.field(msg, r.field)
}

// metricFilter is a compiled metric filter.
type metricFilter struct {
	group     string
	rec       filterRecord
	pattern   *Pattern
	name, ns  string
	unit      string
	constant  float64
	value     *fieldRef // nil: constant
	def       *float64
	dimension []struct {
		name string
		ref  fieldRef
	}
}

// parseRef parses a metric value or dimension that names a field of pattern p.
func parseRef(field, v string, p *Pattern) (fieldRef, error) {
	switch {
	case strings.HasPrefix(v, "$."):
		if p.kind != kindJSON {
			return fieldRef{}, errInvalid("Invalid %s: %s. JSON selectors can be used only with JSON filter patterns.", field, v)
		}
		ps := &parser{src: v}
		path, err := ps.selector()
		if err != nil || !ps.done() {
			return fieldRef{}, errInvalid("Invalid %s: %s is not a valid JSON selector.", field, v)
		}
		return fieldRef{path: path}, nil
	case strings.HasPrefix(v, "$"):
		name := v[1:]
		if p.kind != kindDelimited {
			return fieldRef{}, errInvalid("Invalid %s: %s. Field names can be used only with space-delimited filter patterns.", field, v)
		}
		if _, ok := p.named[name]; !ok {
			return fieldRef{}, errInvalid("Invalid %s: %s is not a field of the filter pattern.", field, v)
		}
		return fieldRef{field: name}, nil
	}
	return fieldRef{}, errInvalid("Invalid %s: %s. Use a number, a JSON selector such as $.latency or a field name such as $bytes.", field, v)
}

// compileMetricFilter checks and compiles a metric filter of group.
func compileMetricFilter(group string, rec filterRecord) (*metricFilter, error) {
	p, err := CompilePattern(rec.Pattern)
	if err != nil {
		return nil, err
	}
	if len(rec.Transformations) != 1 {
		return nil, errInvalid("1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1")
	}
	t := rec.Transformations[0]
	f := &metricFilter{group: group, rec: rec, pattern: p, def: t.DefaultValue, unit: t.Unit}
	for field, v := range map[string]*string{"metricTransformations.1.member.metricName": t.MetricName, "metricTransformations.1.member.metricNamespace": t.MetricNamespace} {
		if v == nil {
			return nil, errNull(field)
		}
		if err := checkLen(field, *v, 1, 255); err != nil {
			return nil, err
		}
		if !metricNameRE.MatchString(*v) {
			return nil, errPatternMismatch(field, *v, `[^:*$]*`)
		}
	}
	f.name, f.ns = *t.MetricName, *t.MetricNamespace
	if t.MetricValue == nil {
		return nil, errNull("metricTransformations.1.member.metricValue")
	}
	mv := strings.TrimSpace(*t.MetricValue)
	if err := checkLen("metricTransformations.1.member.metricValue", mv, 1, 100); err != nil {
		return nil, err
	}
	if n, err := strconv.ParseFloat(mv, 64); err == nil {
		f.constant = n
	} else {
		ref, err := parseRef("metric value", mv, p)
		if err != nil {
			return nil, err
		}
		f.value = &ref
	}
	if t.Unit != "" && !contains(standardUnits, t.Unit) {
		return nil, errInvalid("1 validation error detected: Value '%s' at 'metricTransformations.1.member.unit' failed to satisfy constraint: Member must satisfy enum value set: [%s]", t.Unit, strings.Join(standardUnits, ", "))
	}
	if len(t.Dimensions) > 3 {
		return nil, errInvalid("A metric filter can have at most 3 dimensions.")
	}
	if len(t.Dimensions) > 0 && t.DefaultValue != nil {
		return nil, errInvalid("A metric filter with dimensions cannot have a default value.")
	}
	names := make([]string, 0, len(t.Dimensions))
	for k := range t.Dimensions {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := t.Dimensions[k]
		if err := checkLen("metricTransformations.1.member.dimensions.key", k, 1, 255); err != nil {
			return nil, err
		}
		if err := checkLen("metricTransformations.1.member.dimensions.value", v, 1, 255); err != nil {
			return nil, err
		}
		ref, err := parseRef("dimension value", v, p)
		if err != nil {
			return nil, err
		}
		f.dimension = append(f.dimension, struct {
			name string
			ref  fieldRef
		}{k, ref})
	}
	return f, nil
}

// bytesOf views a string's bytes without copying; the result must not be modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// apply returns the data point the filter makes of one event, if any.
func (f *metricFilter) apply(msg []byte, ts int64) (Metric, bool) {
	m := Metric{Name: f.name, Unit: f.unit, Timestamp: time.UnixMilli(ts).UTC()}
	if !f.pattern.Match(msg) {
		if f.def == nil {
			return m, false
		}
		m.Value = *f.def
		return m, true
	}
	m.Value = f.constant
	if f.value != nil {
		raw, ok := f.value.value(f.pattern, msg)
		if !ok {
			return m, false
		}
		v, ok := parseNumber(raw)
		if !ok {
			return m, false
		}
		m.Value = v
	}
	if len(f.dimension) > 0 {
		m.Dimensions = make(map[string]string, len(f.dimension))
		for _, d := range f.dimension {
			raw, ok := d.ref.value(f.pattern, msg)
			if !ok || len(raw) == 0 {
				return m, false
			}
			m.Dimensions[d.name] = string(raw)
		}
	}
	return m, true
}

// publish sends what the group's metric filters make of stored events to the sink.
// Failures are logged: the events are stored either way.
func (s *Service) publish(ctx context.Context, g groupRecord, events []InputLogEvent) {
	if s.sink == nil {
		return
	}
	s.mu.Lock()
	filters := s.filters[g.ID]
	s.mu.Unlock()
	if len(filters) == 0 {
		return
	}
	byNS := map[string][]Metric{}
	var order []string
	for _, f := range filters {
		for _, e := range events {
			m, ok := f.apply(bytesOf(*e.Message), *e.Timestamp)
			if !ok {
				continue
			}
			if _, seen := byNS[f.ns]; !seen {
				order = append(order, f.ns)
			}
			byNS[f.ns] = append(byNS[f.ns], m)
		}
	}
	for _, ns := range order {
		if err := s.sink.PutMetrics(ctx, ns, byNS[ns]); err != nil {
			s.log.Error("logs: publishing metric filter data failed", "log_group", g.Name, "namespace", ns, "err", err)
		}
	}
}

// PutMetricFilter creates or replaces a metric filter of a log group.
func (s *Service) PutMetricFilter(ctx context.Context, in *PutMetricFilterInput) (*PutMetricFilterOutput, error) {
	group, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	name, err := validStreamName("filterName", in.FilterName)
	if err != nil {
		return nil, err
	}
	if in.FilterPattern == nil {
		return nil, errNull("filterPattern")
	}
	if len(*in.FilterPattern) > maxFilterLen {
		return nil, errTooLong("filterPattern", *in.FilterPattern, maxFilterLen)
	}
	if in.MetricTransformations == nil {
		return nil, errNull("metricTransformations")
	}
	if len(in.MetricTransformations) != 1 {
		return nil, errInvalid("1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1")
	}
	if deref(in.ApplyOnTransformedLogs) || in.FieldSelectionCriteria != nil || len(in.EmitSystemFieldDimensions) > 0 {
		return nil, errInvalid("applyOnTransformedLogs, fieldSelectionCriteria and emitSystemFieldDimensions are not supported by Wharf.")
	}
	t := in.MetricTransformations[0]
	t.Dimensions = maps.Clone(t.Dimensions)
	rec := filterRecord{Name: name, Pattern: *in.FilterPattern, CreationTime: s.nowMillis(), Transformations: []MetricTransformation{t}}
	mf, err := compileMetricFilter(group, rec)
	if err != nil {
		return nil, err
	}
	var gid uint64
	if err := s.update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		gid = g.ID
		key := childKey(g.ID, name)
		var old filterRecord
		switch err := tx.Get(bucketFilters, key, &old); {
		case err == nil:
			rec.CreationTime = old.CreationTime
		case !errors.Is(err, store.ErrNotFound):
			return err
		default:
			if tx.Count(bucketFilters, childPrefix(g.ID)) >= maxMetricFilters {
				return errLimit("Resource limit exceeded: a log group can have at most %d metric filters.", maxMetricFilters)
			}
		}
		return tx.Put(bucketFilters, key, rec)
	}); err != nil {
		return nil, err
	}
	mf.rec = rec
	s.mu.Lock()
	list := make([]*metricFilter, 0, len(s.filters[gid])+1)
	for _, f := range s.filters[gid] {
		if f.rec.Name != name {
			list = append(list, f)
		}
	}
	s.filters[gid] = append(list, mf)
	s.mu.Unlock()
	return &PutMetricFilterOutput{}, nil
}

// filterToken is DescribeMetricFilters' position: the last group and filter returned.
type filterToken struct {
	Group  string `json:"g"`
	Filter string `json:"f"`
}

// DescribeMetricFilters lists metric filters by group name, then filter name.
func (s *Service) DescribeMetricFilters(ctx context.Context, in *DescribeMetricFiltersInput) (*DescribeMetricFiltersOutput, error) {
	limit, err := validLimit("limit", in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	var group string
	if in.LogGroupName != nil {
		if group, err = validGroupName("logGroupName", in.LogGroupName); err != nil {
			return nil, err
		}
	}
	prefix := ""
	if in.FilterNamePrefix != nil {
		if prefix, err = validStreamName("filterNamePrefix", in.FilterNamePrefix); err != nil {
			return nil, err
		}
		if in.LogGroupName == nil {
			prefix = "" // AWS uses the prefix only with a log group
		}
	}
	if (in.MetricName == nil) != (in.MetricNamespace == nil) {
		return nil, errInvalid("metricName and metricNamespace must be specified together.")
	}
	var tok filterToken
	if err := decodeToken(in.NextToken, &tok); err != nil {
		return nil, err
	}
	out := &DescribeMetricFiltersOutput{MetricFilters: []MetricFilter{}}
	var last filterToken
	more := false
	err = s.view(ctx, func(tx *store.Tx) error {
		var groups []groupRecord
		if in.LogGroupName != nil {
			g, err := getGroup(tx, group)
			if err != nil {
				return err
			}
			groups = []groupRecord{g}
		} else {
			var err error
			if groups, err = store.List[groupRecord](tx, bucketGroups, ""); err != nil {
				return err
			}
		}
		for _, g := range groups {
			if g.Name < tok.Group {
				continue
			}
			fs, err := store.List[filterRecord](tx, bucketFilters, childKey(g.ID, prefix))
			if err != nil {
				return err
			}
			for _, f := range fs {
				if g.Name == tok.Group && f.Name <= tok.Filter {
					continue
				}
				t := f.Transformations[0]
				if in.MetricName != nil && (deref(t.MetricName) != *in.MetricName || deref(t.MetricNamespace) != *in.MetricNamespace) {
					continue
				}
				if len(out.MetricFilters) == limit {
					more = true
					return nil
				}
				out.MetricFilters = append(out.MetricFilters, MetricFilter{
					CreationTime: ptr(f.CreationTime), FilterName: ptr(f.Name), FilterPattern: ptr(f.Pattern),
					LogGroupName: ptr(g.Name), MetricTransformations: f.Transformations,
				})
				last = filterToken{Group: g.Name, Filter: f.Name}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		out.NextToken = encodeToken(last)
	}
	return out, nil
}

// DeleteMetricFilter deletes a metric filter.
func (s *Service) DeleteMetricFilter(ctx context.Context, in *DeleteMetricFilterInput) (*DeleteMetricFilterOutput, error) {
	group, err := validGroupName("logGroupName", in.LogGroupName)
	if err != nil {
		return nil, err
	}
	name, err := validStreamName("filterName", in.FilterName)
	if err != nil {
		return nil, err
	}
	var gid uint64
	if err := s.update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		gid = g.ID
		key := childKey(g.ID, name)
		if !tx.Has(bucketFilters, key) {
			return awsapi.Errorf("ResourceNotFoundException", "The specified metric filter does not exist.")
		}
		return tx.Delete(bucketFilters, key)
	}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	list := make([]*metricFilter, 0, len(s.filters[gid]))
	for _, f := range s.filters[gid] {
		if f.rec.Name != name {
			list = append(list, f)
		}
	}
	s.filters[gid] = list
	s.mu.Unlock()
	return &DeleteMetricFilterOutput{}, nil
}

// TestMetricFilter reports which of up to 50 messages a filter pattern matches and,
// for space-delimited patterns, the fields it extracts from them.
func (s *Service) TestMetricFilter(ctx context.Context, in *TestMetricFilterInput) (*TestMetricFilterOutput, error) {
	if in.FilterPattern == nil {
		return nil, errNull("filterPattern")
	}
	if len(*in.FilterPattern) > maxFilterLen {
		return nil, errTooLong("filterPattern", *in.FilterPattern, maxFilterLen)
	}
	if in.LogEventMessages == nil {
		return nil, errNull("logEventMessages")
	}
	if len(in.LogEventMessages) < 1 || len(in.LogEventMessages) > 50 {
		return nil, errInvalid("1 validation error detected: Value at 'logEventMessages' failed to satisfy constraint: Member must have length between 1 and 50")
	}
	for i, m := range in.LogEventMessages {
		if m == "" {
			return nil, errTooShort("logEventMessages."+strconv.Itoa(i+1)+".member", "", 1)
		}
	}
	p, err := s.patterns.compile(*in.FilterPattern)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &TestMetricFilterOutput{Matches: []MetricFilterMatchRecord{}}
	for i, m := range in.LogEventMessages {
		values, ok := p.Extract([]byte(m))
		if !ok {
			continue
		}
		out.Matches = append(out.Matches, MetricFilterMatchRecord{EventNumber: int64(i + 1), EventMessage: ptr(m), ExtractedValues: values})
	}
	return out, nil
}
