import { describeJourney } from './journey';

describeJourney(6);
