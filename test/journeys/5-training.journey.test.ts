import { describeJourney } from './journey';

describeJourney(5);
