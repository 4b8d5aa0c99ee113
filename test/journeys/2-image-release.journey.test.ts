import { describeJourney } from './journey';

describeJourney(2);
