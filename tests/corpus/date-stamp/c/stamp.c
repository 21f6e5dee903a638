/* The date this file was compiled: SOURCE_DATE_EPOCH's when it is set. */
const char *date_stamp(void) { return __DATE__ " " __TIME__; }
