import { consoleHandler } from '../../shared/console/handler';

/** The operator console's page and assets; the page itself calls the query API with the key its user typed. */
export const handler = consoleHandler();
