import { describeJourney } from './journey';

describeJourney(6, { profile: 'production' });
