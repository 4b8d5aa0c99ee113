import { describeJourney } from './journey';

// The production profile's deploy steps too: the governance stack's Guard hook uploads its rules at deploy time.
describeJourney(1, { profile: 'production' });
