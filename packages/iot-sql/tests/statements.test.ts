import { expectCase, type RuleCase } from './cases';

const E_PAYLOAD = JSON.stringify({
  e: [
    { n: 'temperature', u: 'Cel', t: 1234, v: 22.5 },
    { n: 'light', u: 'lm', t: 1235, v: 135 },
    { n: 'acidity', u: 'pH', t: 1235, v: 7 },
  ],
});

const CASES: RuleCase[] = [
  // ---- iot-sql-reference / iot-sql-select ---------------------------------------------------------
  {
    section: 'iot-sql-reference',
    name: 'AS renames a selected attribute when WHERE holds',
    sql: "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50",
    payload: '{"color":"red","temperature":100}',
    expect: { json: '{"rgb":"red"}' },
  },
  {
    section: 'iot-sql-select',
    name: 'SELECT * passes the payload through',
    sql: "SELECT * FROM 'topic/subtopic'",
    payload: '{"color":"red", "temperature":50}',
    expect: { json: '{"color":"red","temperature":50}' },
  },
  {
    section: 'iot-sql-select',
    name: 'several columns',
    sql: "SELECT color as my_color, temperature as fahrenheit FROM 'topic/subtopic'",
    payload: '{"color":"red", "temperature":50}',
    expect: { json: '{"my_color":"red","fahrenheit":50}' },
  },
  {
    section: 'iot-sql-select',
    name: '* with an extra column',
    sql: "SELECT *, 15 as speed FROM 'topic/subtopic'",
    payload: '{"color":"red", "temperature":50}',
    expect: { json: '{"color":"red","temperature":50,"speed":15}' },
  },
  {
    section: 'iot-sql-select',
    name: 'SELECT VALUE outputs the value itself',
    sql: "SELECT VALUE color FROM 'topic/subtopic'",
    payload: '{"color":"red", "temperature":50}',
    expect: { json: '"red"' },
  },
  {
    section: 'iot-sql-select',
    name: 'dotted path',
    sql: "SELECT color.red as red_value FROM 'topic/subtopic'",
    payload: '{"color":{"red":255,"green":0,"blue":0}, "temperature":50}',
    expect: { json: '{"red_value":255}' },
  },
  {
    section: 'iot-sql-select',
    name: 'arithmetic with parentheses and a function',
    sql: "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'topic/subtopic'",
    payload: '{"color":"red", "temperature":50}',
    expect: { json: '{"celsius":10,"my_color":"RED"}' },
  },
  {
    section: 'iot-sql-select',
    name: 'a column without AS is named after the attribute',
    sql: "SELECT color, coords.latitude FROM 'topic/subtopic'",
    payload: '{"color":"red","coords":{"latitude":47.6}}',
    expect: { json: '{"color":"red","latitude":47.6}' },
  },
  {
    section: 'iot-sql-select',
    name: 'array indexing',
    sql: "SELECT a[1] AS second, a[5] AS missing, m[0][1] AS inner FROM 'topic/subtopic'",
    payload: '{"a":[10,20,30],"m":[[1,2],[3,4]]}',
    expect: { json: '{"second":20,"inner":2}' },
  },
  {
    section: 'iot-sql-select',
    name: 'keywords are case-insensitive',
    sql: "select Color as c from 'topic/subtopic' where Temperature > 1 and not false",
    payload: '{"Color":"red","Temperature":2}',
    expect: { json: '{"c":"red"}' },
  },
  {
    section: 'iot-sql-data-types',
    name: 'an Undefined column is left out; Null is kept',
    sql: "SELECT foo, bar, NULL AS n FROM 'topic/subtopic'",
    payload: '{"foo":null}',
    expect: { json: '{"foo":null,"n":null}' },
  },
  {
    section: 'iot-sql-data-types',
    name: 'inherited object members are not attributes',
    sql: "SELECT constructor, toString, a.length, __proto__ FROM 'topic/subtopic'",
    payload: '{"a":[1,2]}',
    expect: { json: '{}' },
  },
  {
    section: 'iot-sql-data-types',
    name: 'own members with prototype names are attributes',
    sql: "SELECT constructor AS c, __proto__ AS p, a.length AS l FROM 'topic/subtopic'",
    payload: '{"constructor":1,"__proto__":{"x":2},"a":{"length":3}}',
    expect: { json: '{"c":1,"p":{"x":2},"l":3}' },
  },

  // ---- iot-sql-from ---------------------------------------------------------------------------------
  {
    section: 'iot-sql-from',
    name: 'FROM is optional for Basic Ingest rules',
    sql: 'SELECT temperature AS t',
    payload: '{"temperature":50}',
    expect: { json: '{"t":50}' },
  },

  // ---- iot-sql-where --------------------------------------------------------------------------------
  {
    section: 'iot-sql-where',
    name: 'WHERE false: no outgoing payload',
    sql: "SELECT color AS my_color FROM 'topic/subtopic' WHERE temperature > 50 AND color <> 'red'",
    payload: '{"color":"red", "temperature":40}',
    expect: 'no-match',
  },
  {
    section: 'iot-sql-where',
    name: 'WHERE cannot see SELECT aliases',
    sql: "SELECT temperature AS t FROM 'topic/subtopic' WHERE t > 1",
    payload: '{"temperature":40}',
    expect: 'no-match',
  },
  {
    section: 'iot-sql-where',
    name: 'WHERE on a missing attribute does not match',
    sql: "SELECT * FROM 'topic/subtopic' WHERE missing > 1",
    payload: '{"temperature":40}',
    expect: 'no-match',
  },
  {
    section: 'iot-sql-where',
    name: 'NOT of Undefined is not true',
    sql: "SELECT * FROM 'topic/subtopic' WHERE NOT (missing = 1)",
    payload: '{"temperature":40}',
    expect: 'no-match',
  },
  {
    section: 'iot-sql-where',
    name: 'a non-JSON payload decoded in WHERE and SELECT',
    sql: "SELECT decode(encode(*, 'base64'), 'base64') AS value FROM 'topic/subtopic' WHERE decode(encode(*, 'base64'), 'base64') > 50",
    version: '2016-03-23',
    payload: '80',
    expect: { json: '{"value":80}' },
  },
  {
    section: 'iot-sql-where',
    name: 'OR, AND precedence and parentheses',
    sql: "SELECT VALUE 1 FROM 't' WHERE a = 1 OR a = 2 AND b = 3",
    payload: '{"a":1,"b":0}',
    expect: { json: '1' },
  },

  // ---- iot-sql-literals -----------------------------------------------------------------------------
  {
    section: 'iot-sql-literals',
    name: 'object literal',
    sql: "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long FROM 'topic/subtopic'",
    version: '2016-03-23',
    payload: '{"lat_long": [47.606,-122.332]}',
    expect: { json: '{"lat_long":{"latitude":47.606,"longitude":-122.332}}' },
  },
  {
    section: 'iot-sql-literals',
    name: 'array literal',
    sql: "SELECT [lat,long] as lat_long FROM 'topic/subtopic'",
    version: '2016-03-23',
    payload: '{"lat": 47.696, "long": -122.332}',
    expect: { json: '{"lat_long":[47.696,-122.332]}' },
  },
  {
    section: 'iot-sql-literals',
    name: 'literals need SQL 2016-03-23',
    sql: "SELECT [lat,long] as lat_long FROM 'topic/subtopic'",
    expect: { parseError: /Array literals need SQL version 2016-03-23 .* at line 1, column 8/ },
  },
  {
    section: 'iot-sql-literals',
    name: 'object literal needs SQL 2016-03-23',
    sql: "SELECT {'a': 1} AS o FROM 'topic/subtopic'",
    expect: { parseError: /Object literals need SQL version 2016-03-23/ },
  },
  {
    section: 'iot-sql-literals',
    name: 'scalar literals',
    sql: "SELECT 'it''s' AS a, \"dq\" AS b, true AS c, FALSE AS d, -3 AS e, 1.5e2 AS f FROM 't'",
    version: '2016-03-23',
    expect: { json: '{"a":"it\'s","b":"dq","c":true,"d":false,"e":-3,"f":150}' },
  },

  // ---- iot-sql-case ---------------------------------------------------------------------------------
  {
    section: 'iot-sql-case',
    name: 'first matching WHEN',
    sql: "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' WHEN 'red' THEN 'stop' ELSE 'you are not at a stop light' END as instructions FROM 'topic/subtopic'",
    payload: '{"color":"yellow"}',
    expect: { json: '{"instructions":"caution"}' },
  },
  {
    section: 'iot-sql-case',
    name: 'ELSE when nothing matches',
    sql: "SELECT CASE color WHEN 'green' THEN 'go' ELSE 'other' END as i FROM 'topic/subtopic'",
    payload: '{"color":"blue"}',
    expect: { json: '{"i":"other"}' },
  },
  {
    section: 'iot-sql-case',
    name: 'no match and no ELSE is Undefined',
    sql: "SELECT CASE color WHEN 'green' THEN 'go' END as i FROM 'topic/subtopic'",
    payload: '{"color":"blue"}',
    expect: { json: '{}' },
  },
  {
    section: 'iot-sql-case',
    name: 'an Undefined subject is Undefined',
    sql: "SELECT CASE missing WHEN 'green' THEN 'go' ELSE 'x' END as i FROM 'topic/subtopic'",
    payload: '{}',
    expect: { json: '{}' },
  },
  {
    section: 'iot-sql-case',
    name: 'CASE needs a WHEN',
    sql: "SELECT CASE color ELSE 1 END FROM 'topic/subtopic'",
    expect: { parseError: /Expected WHEN but found 'ELSE'/ },
  },

  // ---- iot-sql-json ---------------------------------------------------------------------------------
  {
    section: 'iot-sql-json',
    name: 'AS with a dotted name builds nested objects',
    sql: "SELECT foo.bar AS bar.baz FROM 'topic/subtopic'",
    payload: '{"foo":{"bar":"RED","bar1":"GREEN","bar2":"BLUE"}}',
    expect: { json: '{"bar":{"baz":"RED"}}' },
  },
  {
    section: 'iot-sql-json',
    name: 'get() reads names dot notation cannot',
    sql: 'SELECT * from \'iot/rules\' WHERE get(get(get(mydata,"item2"),"0"),"my-key") = "myValue"',
    topic: 'iot/rules',
    payload: '{"mydata":{"item2":{"0":{"my-key":"myValue"}}}}',
    expect: { json: '{"mydata":{"item2":{"0":{"my-key":"myValue"}}}}' },
  },
  {
    section: 'iot-sql-json',
    name: 'a function applied to an attribute',
    sql: "SELECT temp, md5(deviceid) AS hashed_id FROM 'topic/#'",
    payload: '{"deviceid":"iot123","temp":54.98,"humidity":32.43}',
    expect: { json: '{"temp":54.98,"hashed_id":"e37f81fb397e595c4aeb5645b8cbbbd1"}' },
  },

  // ---- iot-sql-nested-queries -----------------------------------------------------------------------
  {
    section: 'iot-sql-nested-queries',
    name: 'SELECT VALUE over an array',
    sql: "SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'",
    version: '2016-03-23',
    payload: E_PAYLOAD,
    expect: { json: '{"sensors":["temperature","light","acidity"]}' },
  },
  {
    section: 'iot-sql-nested-queries',
    name: 'nested WHERE',
    sql: "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'",
    version: '2016-03-23',
    payload: E_PAYLOAD,
    expect: { json: '{"temperature":[{"v":22.5}]}' },
  },
  {
    section: 'iot-sql-nested-queries',
    name: 'flattened with get()',
    sql: "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'topic'",
    version: '2016-03-23',
    payload: E_PAYLOAD,
    expect: { json: '{"temperature":22.5}' },
  },
  {
    section: 'iot-sql-nested-queries',
    name: 'nested * with extra columns, over an object',
    sql: "SELECT (SELECT *, 1 AS one FROM inner) AS o, (SELECT * FROM e WHERE v > 100) AS big FROM 't'",
    version: '2016-03-23',
    payload: `{"inner":{"a":1},${E_PAYLOAD.slice(1)}`,
    expect: { json: '{"o":{"a":1,"one":1},"big":[{"n":"light","u":"lm","t":1235,"v":135}]}' },
  },
  {
    section: 'iot-sql-nested-queries',
    name: 'nested queries need SQL 2016-03-23',
    sql: "SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'",
    expect: { parseError: /Nested object queries need SQL version 2016-03-23/ },
  },
  {
    section: 'iot-sql-nested-queries',
    name: 'a nested query over a missing attribute is Undefined',
    sql: "SELECT (SELECT VALUE n FROM nothing) as sensors FROM 'my/topic'",
    version: '2016-03-23',
    payload: '{}',
    expect: { json: '{}' },
  },

  // ---- iot-rule-sql-version -------------------------------------------------------------------------
  {
    section: 'iot-rule-sql-version',
    name: 'SELECT VALUE of an array is the top-level output (2016-03-23)',
    sql: "SELECT VALUE arr FROM 'topic'",
    version: '2016-03-23',
    payload: '{"a": {"b":"c"}, "arr":[1,2,3,4]}',
    expect: { json: '[1,2,3,4]' },
  },
  {
    section: 'iot-rule-sql-version',
    name: 'no top-level array output in 2015-10-08',
    sql: "SELECT VALUE arr FROM 'topic'",
    payload: '{"a": {"b":"c"}, "arr":[1,2,3,4]}',
    expect: { json: '' },
  },
  {
    section: 'iot-sql-data-types',
    name: 'whole decimals stay Decimal in 2015-10-08',
    sql: "SELECT *, t / 4 AS q, 10.0 AS lit FROM 't'",
    payload: '{"t":10.0,"n":[1.50,2E1],"s":"10.0"}',
    expect: { json: '{"t":10.0,"n":[1.5,20.0],"s":"10.0","q":2.5,"lit":10.0}' },
  },
  {
    section: 'iot-sql-data-types',
    name: 'whole decimals are Int in 2016-03-23',
    sql: "SELECT *, t / 4 AS q, 10.0 AS lit FROM 't'",
    version: '2016-03-23',
    payload: '{"t":10.0,"n":[1.50,2E1],"s":"10.0"}',
    expect: { json: '{"t":10,"n":[1.5,20],"s":"10.0","q":2,"lit":10}' },
  },
  {
    section: 'iot-sql-select',
    name: 'SELECT VALUE takes one expression',
    sql: "SELECT VALUE a, b FROM 't'",
    version: '2016-03-23',
    expect: { parseError: /SELECT VALUE takes exactly one expression/ },
  },
  {
    section: 'iot-sql-select',
    name: 'SELECT VALUE * and keywords as AS names',
    sql: "SELECT VALUE * FROM 't'",
    payload: '{"a":1}',
    expect: { json: '{"a":1}' },
  },
  {
    section: 'iot-sql-select',
    name: 'keywords can name outputs and nested attributes',
    sql: "SELECT a.end AS value, a.from AS end FROM 't' WHERE a.end != 2",
    payload: '{"a":{"end":1,"from":"x"}}',
    expect: { json: '{"value":1,"end":"x"}' },
  },
  {
    section: 'iot-sql-select',
    name: 'an attribute named value',
    sql: "SELECT value FROM 't'",
    payload: '{"value":3}',
    expect: { json: '{"value":3}' },
  },

  // ---- binary-payloads ------------------------------------------------------------------------------
  {
    section: 'binary-payloads',
    name: 'SELECT * on a binary payload gives its bytes',
    sql: "SELECT * FROM 'topic/subtopic'",
    payload: new Uint8Array([0x00, 0x01, 0xff]),
    expect: { bytes: Buffer.from([0x00, 0x01, 0xff]).toString('utf8') },
  },
  {
    section: 'binary-payloads',
    name: 'SELECT * on a binary payload with WHERE on functions',
    sql: "SELECT * FROM 'topic/subtopic' WHERE timestamp() % 12 = 3",
    payload: 'not json',
    expect: { bytes: 'not json' },
  },
  {
    section: 'binary-payloads',
    name: 'encode(*) of a binary payload',
    sql: "SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'topic/subtopic'",
    version: '2016-03-23',
    payload: new Uint8Array([1, 2, 3]),
    expect: { json: '{"data":"AQID","ts":1481825251155}' },
  },
  {
    section: 'binary-payloads',
    name: 'encode(*) of a JSON payload encodes its bytes as sent',
    sql: "SELECT VALUE encode(*, 'base64') FROM 'topic/subtopic'",
    version: '2016-03-23',
    payload: '{"a": 1}',
    expect: { json: `"${Buffer.from('{"a": 1}').toString('base64')}"` },
  },
  {
    section: 'binary-payloads',
    name: 'attributes of a binary payload are Undefined',
    sql: "SELECT * FROM 'topic/subtopic' WHERE device_type = 'thermostat'",
    payload: new Uint8Array([7, 8]),
    expect: 'no-match',
  },
  {
    section: 'binary-payloads',
    name: 'an empty payload can take columns',
    sql: "SELECT *, principal() as principal, timestamp() as time FROM 'topic/subtopic'",
    payload: '',
    expect: {
      json: '{"principal":"ba67293af50bf2506f5f93469686da660c7c844e7b3950bfb16813e0d31e9373","time":1481825251155}',
    },
  },
  {
    section: 'binary-payloads',
    name: 'a non-empty binary payload passes through SELECT * with columns',
    sql: "SELECT *, principal() as principal FROM 'topic/subtopic'",
    payload: new Uint8Array([9]),
    expect: { bytes: '\t' },
  },
  {
    section: 'binary-payloads',
    name: 'a JSON payload given as bytes',
    sql: "SELECT a FROM 'topic/subtopic'",
    payload: Buffer.from(' {"a":"é"}'),
    expect: { json: '{"a":"é"}' },
  },

  // ---- iot-basic-ingest -----------------------------------------------------------------------------
  {
    section: 'iot-basic-ingest',
    name: 'topic() leaves out the Basic Ingest prefix',
    sql: "SELECT topic() AS t, topic(3) AS level FROM 'Buildings/#'",
    topic: '$aws/rules/BuildingManager/Buildings/Building5/Floor2/Room201/Lights',
    expect: { json: '{"t":"Buildings/Building5/Floor2/Room201/Lights","level":"Floor2"}' },
  },
];

describe('statements (table-driven from the AWS IoT SQL reference)', () => {
  test.each(CASES)('[$section] $name', (c) => {
    // Prepare: the case row
    // Act & Assess
    expectCase(c);
  });
});
