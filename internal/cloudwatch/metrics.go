package cloudwatch

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// Limits of PutMetricData and the metric names, from the API reference.
const (
	maxMetricData    = 1000
	maxDimensions    = 30
	maxValues        = 150
	maxNameLen       = 255
	maxDimValueLen   = 1024
	pastLimit        = 14 * 24 * time.Hour
	futureLimit      = 2 * time.Hour
	listMetricsPage  = 500
	maxDimFilters    = 10
	recentlyActive   = 3 * time.Hour
	listedWithinDays = 14
)

var (
	maxAbsValue = math.Ldexp(1, 360)
	minAbsValue = math.Ldexp(1, -360)
)

// EntityMetricData is metric data with the entity it belongs to; Wharf accepts the
// data and does not keep the entity.
type EntityMetricData struct {
	Entity     any           `json:"Entity,omitempty"`
	MetricData []MetricDatum `json:"MetricData,omitempty"`
}

// PutMetricDataInput is the input of PutMetricData.
type PutMetricDataInput struct {
	Namespace              string             `json:"Namespace"`
	MetricData             []MetricDatum      `json:"MetricData"`
	EntityMetricData       []EntityMetricData `json:"EntityMetricData,omitempty"`
	StrictEntityValidation *bool              `json:"StrictEntityValidation,omitempty"`
}

// PutMetricDataOutput is the (empty) output of PutMetricData.
type PutMetricDataOutput struct{}

// PutMetricData publishes metric data points. Users may not publish to the AWS/
// namespaces, which belong to AWS's own services (Wharf's publish through Put).
func (s *Service) PutMetricData(ctx context.Context, in *PutMetricDataInput) (*PutMetricDataOutput, error) {
	if in.Namespace == "" {
		return nil, errMissing("Namespace")
	}
	if strings.HasPrefix(in.Namespace, "AWS/") {
		return nil, errInvalidValue("The value %s for parameter Namespace is invalid.", in.Namespace)
	}
	data := in.MetricData
	param := "MetricData"
	if len(in.EntityMetricData) > 0 {
		if len(in.EntityMetricData) > 2 {
			return nil, errInvalidValue("The collection EntityMetricData must not have a size greater than 2.")
		}
		data = slices.Clone(data)
		for _, e := range in.EntityMetricData {
			data = append(data, e.MetricData...)
		}
		param = "MetricData (with EntityMetricData)"
	}
	if len(data) == 0 {
		return nil, errMissing("MetricData")
	}
	if err := s.put(ctx, in.Namespace, data, param); err != nil {
		return nil, err
	}
	return &PutMetricDataOutput{}, nil
}

// Put publishes metric data on behalf of Wharf's own services (AWS/ECS,
// AWS/ApplicationELB, log metric filters): the AWS/ namespaces are allowed and no
// authorization applies. It validates like PutMetricData and returns once the data
// is durable.
func (s *Service) Put(ctx context.Context, namespace string, data []MetricDatum) error {
	if namespace == "" {
		return errMissing("Namespace")
	}
	if len(data) == 0 {
		return nil
	}
	return s.put(ctx, namespace, data, "MetricData")
}

// put validates, logs and applies metric data.
func (s *Service) put(ctx context.Context, ns string, data []MetricDatum, param string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validName(ns, "Namespace", maxNameLen); err != nil {
		return err
	}
	if len(data) > maxMetricData {
		return errInvalidValue("The collection %s must not have a size greater than %d.", param, maxMetricData)
	}
	now := s.clock.Now()
	items := make([]item, len(data))
	for i := range data {
		if err := s.validDatum(&data[i], "MetricData.member."+strconv.Itoa(i+1), now, &items[i]); err != nil {
			return err
		}
		items[i].key = seriesKey(ns, items[i].name, items[i].dims)
	}
	rec := encodeRecord(make([]byte, 0, 64*len(items)+32), ns, now.Unix(), items)
	s.applyMu.RLock()
	size, err := s.wal.append(rec)
	if err == nil {
		s.mem.apply(ns, items, now.Unix(), now.Unix())
	}
	s.applyMu.RUnlock()
	if err != nil {
		s.log.Error("cloudwatch: metric data not logged", "err", err)
		return &awsapi.Error{Code: "InternalServiceFault", QueryCode: "InternalServiceError", Status: 500, Server: true,
			Message: "Metric data could not be stored."}
	}
	s.maybeCompact(size)
	return nil
}

// validDatum checks one datum (p is its parameter path, "MetricData.member.1") and
// fills it.
func (s *Service) validDatum(d *MetricDatum, p string, now time.Time, it *item) error {
	if d.MetricName == "" {
		return errMissing(p + ".MetricName")
	}
	if nameProblem(d.MetricName, maxNameLen) != nameOK {
		return validName(d.MetricName, p+".MetricName", maxNameLen)
	}
	dims, err := validDims(d.Dimensions, "Dimensions")
	if err != nil {
		dims, err = validDims(d.Dimensions, p+".Dimensions") // the message with the full path
		return err
	}
	unit := d.Unit
	if unit != "" && !slices.Contains(standardUnits, unit) {
		_, err := validUnit(d.Unit, p+".Unit")
		return err
	}
	if unit == "" {
		unit = "None"
	}
	it.s.hiRes = false
	if d.StorageResolution != nil {
		switch *d.StorageResolution {
		case 1:
			it.s.hiRes = true
		case 60:
		default:
			return errInvalidValue("The parameter %s.StorageResolution must be either 1 or 60.", p)
		}
	}
	ts := now
	if d.Timestamp != nil {
		ts = *d.Timestamp
		if ts.Before(now.Add(-pastLimit)) {
			return errInvalidValue("The parameter %s.Timestamp must specify a time within the past two weeks.", p)
		}
		if ts.After(now.Add(futureLimit)) {
			return errInvalidValue("The parameter %s.Timestamp must specify a time no more than two hours in the future.", p)
		}
	}
	it.s.ts = ts.Unix()
	given := []string{}
	if d.Value != nil {
		given = append(given, p+".Value")
	}
	if d.StatisticValues != nil {
		given = append(given, p+".StatisticValues")
	}
	if d.Values != nil {
		given = append(given, p+".Values")
	}
	switch {
	case len(given) == 0:
		if d.Counts != nil {
			return errCombination("The parameter %s.Counts can only be specified with %s.Values.", p, p)
		}
		return errCombination("At least one of the parameters %s.Value, %s.StatisticValues or %s.Values must be specified.", p, p, p)
	case len(given) > 1:
		return errCombination("The parameters %s and %s are mutually exclusive and you have specified both.", given[0], given[1])
	}
	switch {
	case d.Value != nil:
		if err := validValue(*d.Value, p+".Value"); err != nil {
			return err
		}
		it.s.kind, it.s.value = kindValue, *d.Value
	case d.Values != nil:
		if len(d.Values) > maxValues {
			return errInvalidValue("The collection %s.Values must not have a size greater than %d.", p, maxValues)
		}
		if d.Counts != nil && len(d.Counts) != len(d.Values) {
			return errCombination("The parameters %s.Values and %s.Counts must be of the same size.", p, p)
		}
		for j, v := range d.Values {
			if err := validValue(v, fmt.Sprintf("%s.Values.member.%d", p, j+1)); err != nil {
				return err
			}
		}
		for j, c := range d.Counts {
			if !finite(c) || c < 0 || c > maxAbsValue {
				return errInvalidValue("The value %s for parameter %s.Counts.member.%d is invalid.", fmtNum(c), p, j+1)
			}
		}
		if len(d.Values) == 0 {
			return errInvalidValue("The collection %s.Values must not be empty.", p)
		}
		it.s.kind, it.s.values, it.s.counts = kindValues, d.Values, d.Counts
	default:
		sv := d.StatisticValues
		for _, f := range []struct {
			name string
			v    *float64
		}{{"SampleCount", sv.SampleCount}, {"Sum", sv.Sum}, {"Minimum", sv.Minimum}, {"Maximum", sv.Maximum}} {
			if f.v == nil {
				return errMissing(p + ".StatisticValues." + f.name)
			}
			if err := validValue(*f.v, p+".StatisticValues."+f.name); err != nil {
				return err
			}
		}
		if *sv.SampleCount <= 0 {
			return errInvalidValue("The parameter %s.StatisticValues.SampleCount must be greater than 0.", p)
		}
		if *sv.Minimum > *sv.Maximum {
			return errInvalidValue("The parameter %s.StatisticValues.Minimum must not be greater than %s.StatisticValues.Maximum.", p, p)
		}
		it.s.kind = kindStats
		it.s.n, it.s.sum, it.s.min, it.s.max = *sv.SampleCount, *sv.Sum, *sv.Minimum, *sv.Maximum
	}
	it.name, it.dims, it.unit = d.MetricName, dims, unit
	return nil
}

// validValue checks a published number: finite, within ±2^360 and, if not zero, at
// least 2^-360 in magnitude.
func validValue(v float64, param string) error {
	if !finite(v) || math.Abs(v) > maxAbsValue || v != 0 && math.Abs(v) < minAbsValue {
		return errInvalidValue("The value %s for parameter %s is invalid.", fmtNum(v), param)
	}
	return nil
}

// validName checks a namespace or metric name: 1 to max ASCII characters, no
// control characters, at least one that is not white space.
func validName(v, param string, max int) error {
	switch nameProblem(v, max) {
	case nameEmpty:
		return errMissing(param)
	case nameLong:
		return errInvalidValue("The parameter %s must not be longer than %d characters.", param, max)
	case nameBlank:
		return errInvalidValue("The value %q for parameter %s is invalid: it must contain a non-whitespace character.", v, param)
	case nameChars:
		return errInvalidValue("The value %q for parameter %s is invalid: it must contain only printable ASCII characters.", v, param)
	}
	return nil
}

// Problems of a name.
const (
	nameOK = iota
	nameEmpty
	nameLong
	nameBlank
	nameChars
)

// nameProblem checks a name without building any message.
func nameProblem(v string, max int) int {
	if v == "" {
		return nameEmpty
	}
	if len(v) > max {
		return nameLong
	}
	blank := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c >= 0x7f {
			return nameChars
		}
		if c != ' ' {
			blank = false
		}
	}
	if blank {
		return nameBlank
	}
	return nameOK
}

// validDims checks dimensions and returns a copy sorted by name.
func validDims(dims []Dimension, param string) ([]Dimension, error) {
	if len(dims) > maxDimensions {
		return nil, errInvalidValue("The collection %s must not have a size greater than %d.", param, maxDimensions)
	}
	out := make([]Dimension, len(dims))
	for j, d := range dims {
		if nameProblem(d.Name, maxNameLen) != nameOK || d.Name[0] == ':' || nameProblem(d.Value, maxDimValueLen) != nameOK {
			dp := fmt.Sprintf("%s.member.%d", param, j+1)
			if err := validName(d.Name, dp+".Name", maxNameLen); err != nil {
				return nil, err
			}
			if d.Name[0] == ':' {
				return nil, errInvalidValue("The value %s for parameter %s.Name is invalid: it must not start with a colon.", d.Name, dp)
			}
			return nil, validName(d.Value, dp+".Value", maxDimValueLen)
		}
		out[j] = d
	}
	if len(out) > 1 {
		sortDims(out)
		for j := 1; j < len(out); j++ {
			if out[j].Name == out[j-1].Name {
				return nil, errInvalidValue("The dimension name %s is used more than once in parameter %s.", out[j].Name, param)
			}
		}
	}
	return out, nil
}

// validUnit checks a unit (empty is allowed: the caller picks the default).
func validUnit(u, param string) (string, error) {
	if u == "" || slices.Contains(standardUnits, u) {
		return u, nil
	}
	return "", errInvalidValue("The parameter %s must be a value in the set [ %s ].", param, strings.Join(standardUnits, ", "))
}

// fmtNum formats a number for a message.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// ---- ListMetrics ----

// ListMetricsInput is the input of ListMetrics.
type ListMetricsInput struct {
	Namespace             *string           `json:"Namespace,omitempty"`
	MetricName            *string           `json:"MetricName,omitempty"`
	Dimensions            []DimensionFilter `json:"Dimensions,omitempty"`
	NextToken             *string           `json:"NextToken,omitempty"`
	RecentlyActive        string            `json:"RecentlyActive,omitempty"`
	IncludeLinkedAccounts *bool             `json:"IncludeLinkedAccounts,omitempty"`
	OwningAccount         *string           `json:"OwningAccount,omitempty"`
}

// ListMetricsOutput is the output of ListMetrics.
type ListMetricsOutput struct {
	Metrics        []Metric `json:"Metrics"`
	NextToken      *string  `json:"NextToken,omitempty"`
	OwningAccounts []string `json:"OwningAccounts,omitempty"`
}

// ListMetrics lists the metrics that received data in the past two weeks (three
// hours with RecentlyActive PT3H), 500 a page, sorted by namespace, name and
// dimensions.
func (s *Service) ListMetrics(ctx context.Context, in *ListMetricsInput) (*ListMetricsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(in.Dimensions) > maxDimFilters {
		return nil, errInvalidValue("The collection Dimensions must not have a size greater than %d.", maxDimFilters)
	}
	for j, f := range in.Dimensions {
		if f.Name == "" {
			return nil, errMissing(fmt.Sprintf("Dimensions.member.%d.Name", j+1))
		}
	}
	now := s.clock.Now()
	since := now.Add(-listedWithinDays * 24 * time.Hour).Unix()
	switch in.RecentlyActive {
	case "":
	case "PT3H":
		since = now.Add(-recentlyActive).Unix()
	default:
		return nil, errInvalidValue("The parameter RecentlyActive must be a value in the set [ PT3H ].")
	}
	after := ""
	if t := deref(in.NextToken); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(raw) == 0 {
			return nil, errNextToken()
		}
		after = string(raw)
	}
	out := &ListMetricsOutput{Metrics: []Metric{}}
	if in.OwningAccount != nil && *in.OwningAccount != s.account {
		return out, nil
	}
	lastKey := ""
	for _, m := range s.mem.list(false) {
		if m.key <= after || m.lastPut < since {
			continue
		}
		if in.Namespace != nil && m.ns != *in.Namespace || in.MetricName != nil && m.name != *in.MetricName {
			continue
		}
		if !matchFilters(m.dims, in.Dimensions) {
			continue
		}
		if len(out.Metrics) == listMetricsPage {
			out.NextToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(lastKey)))
			break
		}
		out.Metrics = append(out.Metrics, Metric{Namespace: m.ns, MetricName: m.name, Dimensions: append([]Dimension{}, m.dims...)})
		lastKey = m.key
	}
	if deref(in.IncludeLinkedAccounts) {
		out.OwningAccounts = make([]string, len(out.Metrics))
		for i := range out.OwningAccounts {
			out.OwningAccounts[i] = s.account
		}
	}
	return out, nil
}

// matchFilters reports whether a metric's dimensions include every filter (by name,
// and by value when the filter has one).
func matchFilters(dims []Dimension, filters []DimensionFilter) bool {
	for _, f := range filters {
		found := false
		for _, d := range dims {
			if d.Name == f.Name && (f.Value == nil || *f.Value == d.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
