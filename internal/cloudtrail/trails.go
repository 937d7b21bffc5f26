package cloudtrail

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// Tag is a trail tag.
type Tag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// trailRecord is a trail as stored.
type trailRecord struct {
	Name                       string     `json:"name"`
	S3BucketName               string     `json:"bucket"`
	S3KeyPrefix                string     `json:"prefix,omitempty"`
	SnsTopicName               string     `json:"sns,omitempty"`
	IncludeGlobalServiceEvents bool       `json:"global"`
	IsMultiRegionTrail         bool       `json:"multiRegion"`
	IsOrganizationTrail        bool       `json:"org"`
	LogFileValidationEnabled   bool       `json:"validation"`
	CloudWatchLogsLogGroupArn  string     `json:"cwlGroup,omitempty"`
	CloudWatchLogsRoleArn      string     `json:"cwlRole,omitempty"`
	KmsKeyId                   string     `json:"kms,omitempty"`
	Tags                       []Tag      `json:"tags,omitempty"`
	IsLogging                  bool       `json:"logging"`
	StartLoggingTime           *time.Time `json:"started,omitempty"`
	StopLoggingTime            *time.Time `json:"stopped,omitempty"`
	LatestDeliveryTime         *time.Time `json:"delivered,omitempty"`
	LatestDeliveryAttemptTime  *time.Time `json:"attempted,omitempty"`
	LatestDeliveryError        string     `json:"deliveryError,omitempty"`
	DeliveredSeq               uint64     `json:"seq"` // events up to here are delivered
}

// Trail is a trail as DescribeTrails and GetTrail return it.
type Trail struct {
	Name                       *string `json:"Name,omitempty"`
	S3BucketName               *string `json:"S3BucketName,omitempty"`
	S3KeyPrefix                *string `json:"S3KeyPrefix,omitempty"`
	SnsTopicName               *string `json:"SnsTopicName,omitempty"`
	SnsTopicARN                *string `json:"SnsTopicARN,omitempty"`
	IncludeGlobalServiceEvents *bool   `json:"IncludeGlobalServiceEvents,omitempty"`
	IsMultiRegionTrail         *bool   `json:"IsMultiRegionTrail,omitempty"`
	HomeRegion                 *string `json:"HomeRegion,omitempty"`
	TrailARN                   *string `json:"TrailARN,omitempty"`
	LogFileValidationEnabled   *bool   `json:"LogFileValidationEnabled,omitempty"`
	CloudWatchLogsLogGroupArn  *string `json:"CloudWatchLogsLogGroupArn,omitempty"`
	CloudWatchLogsRoleArn      *string `json:"CloudWatchLogsRoleArn,omitempty"`
	KmsKeyId                   *string `json:"KmsKeyId,omitempty"`
	HasCustomEventSelectors    *bool   `json:"HasCustomEventSelectors,omitempty"`
	HasInsightSelectors        *bool   `json:"HasInsightSelectors,omitempty"`
	IsOrganizationTrail        *bool   `json:"IsOrganizationTrail,omitempty"`
}

// CreateTrailInput is the input of CreateTrail.
type CreateTrailInput struct {
	Name                       *string `json:"Name"`
	S3BucketName               *string `json:"S3BucketName"`
	S3KeyPrefix                *string `json:"S3KeyPrefix,omitempty"`
	SnsTopicName               *string `json:"SnsTopicName,omitempty"`
	IncludeGlobalServiceEvents *bool   `json:"IncludeGlobalServiceEvents,omitempty"`
	IsMultiRegionTrail         *bool   `json:"IsMultiRegionTrail,omitempty"`
	EnableLogFileValidation    *bool   `json:"EnableLogFileValidation,omitempty"`
	CloudWatchLogsLogGroupArn  *string `json:"CloudWatchLogsLogGroupArn,omitempty"`
	CloudWatchLogsRoleArn      *string `json:"CloudWatchLogsRoleArn,omitempty"`
	KmsKeyId                   *string `json:"KmsKeyId,omitempty"`
	IsOrganizationTrail        *bool   `json:"IsOrganizationTrail,omitempty"`
	TagsList                   []Tag   `json:"TagsList,omitempty"`
}

// CreateTrailOutput is the output of CreateTrail (and UpdateTrail): the trail.
type CreateTrailOutput struct {
	Name                       *string `json:"Name,omitempty"`
	S3BucketName               *string `json:"S3BucketName,omitempty"`
	S3KeyPrefix                *string `json:"S3KeyPrefix,omitempty"`
	SnsTopicName               *string `json:"SnsTopicName,omitempty"`
	SnsTopicARN                *string `json:"SnsTopicARN,omitempty"`
	IncludeGlobalServiceEvents *bool   `json:"IncludeGlobalServiceEvents,omitempty"`
	IsMultiRegionTrail         *bool   `json:"IsMultiRegionTrail,omitempty"`
	TrailARN                   *string `json:"TrailARN,omitempty"`
	LogFileValidationEnabled   *bool   `json:"LogFileValidationEnabled,omitempty"`
	CloudWatchLogsLogGroupArn  *string `json:"CloudWatchLogsLogGroupArn,omitempty"`
	CloudWatchLogsRoleArn      *string `json:"CloudWatchLogsRoleArn,omitempty"`
	KmsKeyId                   *string `json:"KmsKeyId,omitempty"`
	IsOrganizationTrail        *bool   `json:"IsOrganizationTrail,omitempty"`
}

// UpdateTrailInput is the input of UpdateTrail; absent members keep their values.
type UpdateTrailInput = CreateTrailInput

// NameInput is the input of the operations that take only a trail name or ARN.
type NameInput struct {
	Name *string `json:"Name"`
}

// Empty is the empty output of StartLogging, StopLogging and DeleteTrail.
type Empty struct{}

// GetTrailOutput is the output of GetTrail.
type GetTrailOutput struct {
	Trail *Trail `json:"Trail,omitempty"`
}

// DescribeTrailsInput is the input of DescribeTrails.
type DescribeTrailsInput struct {
	TrailNameList       []string `json:"trailNameList,omitempty"`
	IncludeShadowTrails *bool    `json:"includeShadowTrails,omitempty"`
}

// DescribeTrailsOutput is the output of DescribeTrails.
type DescribeTrailsOutput struct {
	TrailList []Trail `json:"trailList"`
}

// ListTrailsInput is the input of ListTrails.
type ListTrailsInput struct {
	NextToken *string `json:"NextToken,omitempty"`
}

// TrailInfo is one trail in ListTrails' answer.
type TrailInfo struct {
	Name       *string `json:"Name,omitempty"`
	TrailARN   *string `json:"TrailARN,omitempty"`
	HomeRegion *string `json:"HomeRegion,omitempty"`
}

// ListTrailsOutput is the output of ListTrails.
type ListTrailsOutput struct {
	Trails    []TrailInfo `json:"Trails"`
	NextToken *string     `json:"NextToken,omitempty"`
}

// GetTrailStatusOutput is the output of GetTrailStatus.
type GetTrailStatusOutput struct {
	IsLogging                      *bool      `json:"IsLogging,omitempty"`
	LatestDeliveryTime             *time.Time `json:"LatestDeliveryTime,omitempty"`
	LatestDeliveryError            *string    `json:"LatestDeliveryError,omitempty"`
	LatestDeliveryAttemptTime      *string    `json:"LatestDeliveryAttemptTime,omitempty"`
	LatestDeliveryAttemptSucceeded *string    `json:"LatestDeliveryAttemptSucceeded,omitempty"`
	StartLoggingTime               *time.Time `json:"StartLoggingTime,omitempty"`
	StopLoggingTime                *time.Time `json:"StopLoggingTime,omitempty"`
	TimeLoggingStarted             *string    `json:"TimeLoggingStarted,omitempty"`
	TimeLoggingStopped             *string    `json:"TimeLoggingStopped,omitempty"`
}

var (
	trailNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)
	adjacentRE  = regexp.MustCompile(`[._-]{2}`)
	ipLikeRE    = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// checkName validates a trail name as AWS does.
func checkName(name string) error {
	if !trailNameRE.MatchString(name) || adjacentRE.MatchString(name) || ipLikeRE.MatchString(name) {
		return awsapi.Errorf("InvalidTrailNameException", "Trail name %q is invalid: it must be 3-128 characters of letters, numbers, periods, underscores and dashes, start and end with a letter or number, have no adjacent periods, underscores or dashes, and not look like an IP address.", name)
	}
	return nil
}

// trailName resolves a name or trail ARN to a name.
func (s *Service) trailName(p *string) (string, error) {
	if p == nil || *p == "" {
		return "", awsapi.Errorf("InvalidTrailNameException", "Trail name or ARN can only contain a name or an ARN, and it cannot be empty.")
	}
	name := *p
	if strings.HasPrefix(name, "arn:") {
		parts := strings.SplitN(name, ":", 6)
		if len(parts) != 6 || parts[2] != "cloudtrail" || !strings.HasPrefix(parts[5], "trail/") {
			return "", awsapi.Errorf("CloudTrailARNInvalidException", "%s is not a valid trail ARN.", name)
		}
		if parts[4] != s.account || parts[3] != s.region {
			return "", s.notFound(name)
		}
		name = strings.TrimPrefix(parts[5], "trail/")
	}
	return name, checkName(name)
}

func (s *Service) trailARN(name string) string {
	return "arn:aws:cloudtrail:" + s.region + ":" + s.account + ":trail/" + name
}

func (s *Service) notFound(name string) error {
	if !strings.HasPrefix(name, "arn:") {
		name = s.trailARN(name)
	}
	return awsapi.Errorf("TrailNotFoundException", "Unknown trail: %s for the user: %s", name, s.account)
}

// getTrail reads a trail, TrailNotFoundException when absent.
func (s *Service) getTrail(tx *store.Tx, name string) (*trailRecord, error) {
	var t trailRecord
	if err := tx.Get(bucketTrails, name, &t); err != nil {
		if err == store.ErrNotFound {
			return nil, s.notFound(name)
		}
		return nil, err
	}
	return &t, nil
}

// checkPrefix validates an S3 key prefix, which becomes part of a delivery path.
func checkPrefix(p string) error {
	if len(p) > 200 {
		return awsapi.Errorf("InvalidS3PrefixException", "S3 key prefix must be at most 200 characters.")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." || strings.ContainsAny(seg, "\\\x00") {
			return awsapi.Errorf("InvalidS3PrefixException", "S3 key prefix %q is invalid.", p)
		}
	}
	return nil
}

// apply sets the members of in that are present.
func (t *trailRecord) apply(in *CreateTrailInput) error {
	if in.S3BucketName != nil {
		if *in.S3BucketName == "" || len(*in.S3BucketName) > 255 {
			return awsapi.Errorf("InvalidS3BucketNameException", "Bucket name %q is invalid.", *in.S3BucketName)
		}
		t.S3BucketName = *in.S3BucketName
	}
	if in.S3KeyPrefix != nil {
		if err := checkPrefix(*in.S3KeyPrefix); err != nil {
			return err
		}
		t.S3KeyPrefix = strings.Trim(*in.S3KeyPrefix, "/")
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setB := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	set(&t.SnsTopicName, in.SnsTopicName)
	set(&t.CloudWatchLogsLogGroupArn, in.CloudWatchLogsLogGroupArn)
	set(&t.CloudWatchLogsRoleArn, in.CloudWatchLogsRoleArn)
	set(&t.KmsKeyId, in.KmsKeyId)
	setB(&t.IncludeGlobalServiceEvents, in.IncludeGlobalServiceEvents)
	setB(&t.IsMultiRegionTrail, in.IsMultiRegionTrail)
	setB(&t.IsOrganizationTrail, in.IsOrganizationTrail)
	setB(&t.LogFileValidationEnabled, in.EnableLogFileValidation)
	if t.IsMultiRegionTrail && !t.IncludeGlobalServiceEvents {
		return awsapi.Errorf("InvalidParameterCombinationException", "Multi-Region trail must include global service events.")
	}
	return nil
}

func (s *Service) trailOut(t *trailRecord) *CreateTrailOutput {
	o := &CreateTrailOutput{
		Name: str(t.Name), S3BucketName: str(t.S3BucketName), TrailARN: str(s.trailARN(t.Name)),
		IncludeGlobalServiceEvents: &t.IncludeGlobalServiceEvents, IsMultiRegionTrail: &t.IsMultiRegionTrail,
		LogFileValidationEnabled: &t.LogFileValidationEnabled, IsOrganizationTrail: &t.IsOrganizationTrail,
		S3KeyPrefix: opt(t.S3KeyPrefix), SnsTopicName: opt(t.SnsTopicName),
		CloudWatchLogsLogGroupArn: opt(t.CloudWatchLogsLogGroupArn), CloudWatchLogsRoleArn: opt(t.CloudWatchLogsRoleArn),
		KmsKeyId: opt(t.KmsKeyId),
	}
	if t.SnsTopicName != "" {
		o.SnsTopicARN = str("arn:aws:sns:" + s.region + ":" + s.account + ":" + t.SnsTopicName)
	}
	return o
}

func (s *Service) trail(t *trailRecord) Trail {
	o := s.trailOut(t)
	no := false
	return Trail{
		Name: o.Name, S3BucketName: o.S3BucketName, S3KeyPrefix: o.S3KeyPrefix, SnsTopicName: o.SnsTopicName,
		SnsTopicARN: o.SnsTopicARN, IncludeGlobalServiceEvents: o.IncludeGlobalServiceEvents,
		IsMultiRegionTrail: o.IsMultiRegionTrail, HomeRegion: str(s.region), TrailARN: o.TrailARN,
		LogFileValidationEnabled: o.LogFileValidationEnabled, CloudWatchLogsLogGroupArn: o.CloudWatchLogsLogGroupArn,
		CloudWatchLogsRoleArn: o.CloudWatchLogsRoleArn, KmsKeyId: o.KmsKeyId, HasCustomEventSelectors: &no,
		HasInsightSelectors: &no, IsOrganizationTrail: o.IsOrganizationTrail,
	}
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateTrail creates a trail; it does not log until StartLogging.
func (s *Service) CreateTrail(ctx context.Context, in *CreateTrailInput) (*CreateTrailOutput, error) {
	if in.Name == nil || *in.Name == "" {
		return nil, awsapi.Errorf("InvalidTrailNameException", "Trail name cannot be blank.")
	}
	if err := checkName(*in.Name); err != nil {
		return nil, err
	}
	if in.S3BucketName == nil {
		return nil, awsapi.Errorf("InvalidS3BucketNameException", "S3BucketName is required.")
	}
	t := &trailRecord{Name: *in.Name, IncludeGlobalServiceEvents: true}
	if err := t.apply(in); err != nil {
		return nil, err
	}
	err := s.db.Update(func(tx *store.Tx) error {
		if tx.Has(bucketTrails, t.Name) {
			return awsapi.Errorf("TrailAlreadyExistsException", "Trail %s already exists for customer: %s", s.trailARN(t.Name), s.account)
		}
		return tx.Put(bucketTrails, t.Name, t)
	})
	if err != nil {
		return nil, s.internal(err)
	}
	return s.trailOut(t), nil
}

// UpdateTrail changes the members given.
func (s *Service) UpdateTrail(ctx context.Context, in *UpdateTrailInput) (*CreateTrailOutput, error) {
	name, err := s.trailName(in.Name)
	if err != nil {
		return nil, err
	}
	var t *trailRecord
	err = s.db.Update(func(tx *store.Tx) error {
		var err error
		if t, err = s.getTrail(tx, name); err != nil {
			return err
		}
		if err := t.apply(in); err != nil {
			return err
		}
		return tx.Put(bucketTrails, name, t)
	})
	if err != nil {
		return nil, s.internal(err)
	}
	return s.trailOut(t), nil
}

// DeleteTrail deletes a trail; its delivered files stay.
func (s *Service) DeleteTrail(ctx context.Context, in *NameInput) (*Empty, error) {
	name, err := s.trailName(in.Name)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(func(tx *store.Tx) error {
		if _, err := s.getTrail(tx, name); err != nil {
			return err
		}
		return tx.Delete(bucketTrails, name)
	})
	return &Empty{}, s.internal(err)
}

// GetTrail returns one trail.
func (s *Service) GetTrail(ctx context.Context, in *NameInput) (*GetTrailOutput, error) {
	name, err := s.trailName(in.Name)
	if err != nil {
		return nil, err
	}
	var t *trailRecord
	err = s.db.View(func(tx *store.Tx) (err error) { t, err = s.getTrail(tx, name); return err })
	if err != nil {
		return nil, s.internal(err)
	}
	tr := s.trail(t)
	return &GetTrailOutput{Trail: &tr}, nil
}

// DescribeTrails returns the named trails (those that exist), or every trail.
func (s *Service) DescribeTrails(ctx context.Context, in *DescribeTrailsInput) (*DescribeTrailsOutput, error) {
	all, err := s.allTrails()
	if err != nil {
		return nil, err
	}
	out := &DescribeTrailsOutput{TrailList: []Trail{}}
	want := map[string]bool{}
	for _, n := range in.TrailNameList {
		name, err := s.trailName(&n)
		if err != nil {
			if e, ok := awsapi.As(err); ok && e.Code == "TrailNotFoundException" {
				continue
			}
			return nil, err
		}
		want[name] = true
	}
	for _, t := range all {
		if len(want) == 0 || want[t.Name] {
			out.TrailList = append(out.TrailList, s.trail(&t))
		}
	}
	return out, nil
}

// ListTrails lists every trail.
func (s *Service) ListTrails(ctx context.Context, in *ListTrailsInput) (*ListTrailsOutput, error) {
	if in.NextToken != nil && *in.NextToken != "" {
		return nil, awsapi.Errorf("InvalidNextTokenException", "Invalid NextToken.")
	}
	all, err := s.allTrails()
	if err != nil {
		return nil, err
	}
	out := &ListTrailsOutput{Trails: []TrailInfo{}}
	for _, t := range all {
		out.Trails = append(out.Trails, TrailInfo{Name: str(t.Name), TrailARN: str(s.trailARN(t.Name)), HomeRegion: str(s.region)})
	}
	return out, nil
}

func (s *Service) allTrails() ([]trailRecord, error) {
	var all []trailRecord
	err := s.db.View(func(tx *store.Tx) (err error) {
		all, err = store.List[trailRecord](tx, bucketTrails, "")
		return err
	})
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, s.internal(err)
}

// GetTrailStatus reports whether a trail logs and how its deliveries went.
func (s *Service) GetTrailStatus(ctx context.Context, in *NameInput) (*GetTrailStatusOutput, error) {
	name, err := s.trailName(in.Name)
	if err != nil {
		return nil, err
	}
	var t *trailRecord
	err = s.db.View(func(tx *store.Tx) (err error) { t, err = s.getTrail(tx, name); return err })
	if err != nil {
		return nil, s.internal(err)
	}
	out := &GetTrailStatusOutput{
		IsLogging: &t.IsLogging, LatestDeliveryTime: t.LatestDeliveryTime,
		StartLoggingTime: t.StartLoggingTime, StopLoggingTime: t.StopLoggingTime,
		LatestDeliveryError: opt(t.LatestDeliveryError),
	}
	if t.StartLoggingTime != nil {
		out.TimeLoggingStarted = str(iso8601(*t.StartLoggingTime))
	}
	if t.StopLoggingTime != nil {
		out.TimeLoggingStopped = str(iso8601(*t.StopLoggingTime))
	}
	if t.LatestDeliveryAttemptTime != nil {
		out.LatestDeliveryAttemptTime = str(iso8601(*t.LatestDeliveryAttemptTime))
		ok := ""
		if t.LatestDeliveryError == "" {
			ok = iso8601(*t.LatestDeliveryAttemptTime)
		}
		out.LatestDeliveryAttemptSucceeded = &ok
	}
	return out, nil
}

// StartLogging starts recording the trail's events from now on.
func (s *Service) StartLogging(ctx context.Context, in *NameInput) (*Empty, error) {
	if err := s.commit(); err != nil {
		return nil, s.internal(err)
	}
	return s.setLogging(in, true)
}

// StopLogging stops the trail; events recorded while it logged are still delivered.
func (s *Service) StopLogging(ctx context.Context, in *NameInput) (*Empty, error) {
	if _, err := s.trailName(in.Name); err != nil {
		return nil, err
	}
	// Deliver what the trail logged so far before it stops.
	if err := s.commit(); err != nil {
		return nil, s.internal(err)
	}
	return s.setLogging(in, false)
}

func (s *Service) setLogging(in *NameInput, on bool) (*Empty, error) {
	name, err := s.trailName(in.Name)
	if err != nil {
		return nil, err
	}
	if !on {
		s.deliverMu.Lock()
		defer s.deliverMu.Unlock()
	}
	var stopped *trailRecord
	err = s.db.Update(func(tx *store.Tx) error {
		t, err := s.getTrail(tx, name)
		if err != nil {
			return err
		}
		if t.IsLogging == on {
			return nil
		}
		now := s.now()
		t.IsLogging = on
		if on {
			t.StartLoggingTime = &now
			// Only what is recorded from now on goes to this trail.
			if t.DeliveredSeq, err = lastSeq(tx); err != nil {
				return err
			}
		} else {
			t.StopLoggingTime = &now
			stopped = t
		}
		return tx.Put(bucketTrails, name, t)
	})
	if err != nil {
		return nil, s.internal(err)
	}
	if stopped != nil {
		s.deliverLocked(stopped.Name, true)
	}
	return &Empty{}, nil
}
