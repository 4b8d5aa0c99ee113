import { describeJourney } from './journey';

describeJourney(4);
