import { expectCase, type RuleCase, V2, valueCase } from './cases';

const O = 'iot-sql-operators';
const D = 'iot-sql-data-types';
const P = '{"i":5,"d":2.5,"s":"3","x":"abc","b":true,"n":null,"arr":[1,2,3,"three",5.7,null],"o":{"a":1,"b":[2]}}';

const CASES: RuleCase[] = [
  // AND / OR / NOT
  valueCase(O, 'true AND true', 'true'),
  valueCase(O, 'true AND false', 'false'),
  valueCase(O, "'TRUE' AND true", 'true'),
  valueCase(O, "'yes' AND true", ''),
  valueCase(O, 'false AND missing', ''),
  valueCase(O, '1 AND true', ''),
  valueCase(O, 'false OR true', 'true'),
  valueCase(O, "'false' OR 'False'", 'false'),
  valueCase(O, 'true OR n', '', { payload: P }),
  valueCase(O, 'NOT false', 'true'),
  valueCase(O, "NOT 'TRUE'", 'false'),
  valueCase(O, 'NOT 0', ''),
  valueCase(O, 'NOT missing', ''),

  // comparisons
  valueCase(O, 'i > 4', 'true', { payload: P }),
  valueCase(O, 'd >= 2.5', 'true', { payload: P }),
  valueCase(O, 'i < d', 'false', { payload: P }),
  valueCase(O, 's <= 3', 'true', { payload: P }),
  valueCase(O, "'10' > '9'", 'true'),
  valueCase(O, "x > 'abb'", '', { payload: P }),
  valueCase(O, 'b > 0', '', { payload: P }),
  valueCase(O, 'missing > 0', ''),
  valueCase(O, 'n < 1', '', { payload: P }),
  valueCase(O, "'1e2' > 99", 'true'),
  valueCase(O, "' 1' > 0", ''),

  // = and <>
  valueCase(O, '5 = 5', 'true'),
  valueCase(O, '5 = 5.0', 'true'),
  valueCase(O, "'a' = 'a'", 'true'),
  valueCase(O, "5 = '5'", 'false'),
  valueCase(O, "5 <> '5'", 'true'),
  valueCase(O, 'n = null', 'true', { payload: P }),
  valueCase(O, 'n <> null', 'false', { payload: P }),
  valueCase(O, 'o = {"b":[2],"a":1}', 'true', { ...V2, payload: P }),
  valueCase(O, 'o <> {"a":1}', 'true', { ...V2, payload: P }),
  valueCase(O, '[1,2] = [1,2]', 'true', V2),
  valueCase(O, '[1,2] = [2,1]', 'false', V2),
  valueCase(O, 'missing = 1', ''),
  valueCase(O, '1 <> missing', ''),
  valueCase(O, 'i != 4', 'true', { payload: P }),
  valueCase(O, 'true = true', 'true'),

  // + - * / %
  valueCase(O, '1 + 2', '3'),
  valueCase(O, '1 + 2.5', '3.5'),
  valueCase(O, '0.1 + 0.2', '0.3'),
  valueCase(O, '1.5 + 1.5', '3.0'),
  valueCase(O, '1.5 + 1.5', '3', V2),
  valueCase(O, "'a' + 1", '"a1"'),
  valueCase(O, "1 + 'a'", '"1a"'),
  valueCase(O, "'5' + 3", '"53"'),
  valueCase(O, "'a' + true", '"atrue"'),
  valueCase(O, "'a' + missing", ''),
  valueCase(O, "'a' + arr", '"a[1,2,3,\\"three\\",5.7,null]"', { payload: P }),
  valueCase(O, 'true + 1', ''),
  valueCase(O, 'n + 1', '', { payload: P }),
  valueCase(O, '5 - 7', '-2'),
  valueCase(O, "'6' - 2", '4.0'),
  valueCase(O, "'6' - 2", '4', V2),
  valueCase(O, "'x' - 2", ''),
  valueCase(O, '54.98 * 1.8 + 32', '130.964'),
  valueCase(O, '3 * 4', '12'),
  valueCase(O, "'6' * '2'", '12.0'),
  valueCase(O, '7 / 2', '3'),
  valueCase(O, '-7 / 2', '-3'),
  valueCase(O, '7.0 / 2', '3.5'),
  valueCase(O, '7.0 / 2', '3', V2),
  valueCase(O, '7 / 2.0', '3.5'),
  valueCase(O, '1 / 0', ''),
  valueCase(O, '1.5 / 0', ''),
  valueCase(O, '7 % 3', '1'),
  valueCase(O, '-7 % 3', '-1'),
  valueCase(O, '7.5 % 2', '1.5'),
  valueCase(O, "'7' % 2", '1.0'),
  valueCase(O, '7 % 0', ''),
  valueCase(O, '-i', '-5', { payload: P }),
  valueCase(O, "-'2.5'", '-2.5'),
  valueCase(O, '-x', '', { payload: P }),
  valueCase(O, '+d', '2.5', { payload: P }),
  valueCase(O, '2 + 3 * 4 - 6 / 2', '11'),
  valueCase(O, '(2 + 3) * 4', '20'),

  // IN / CONTAINS
  valueCase(O, '3 IN arr', 'true', { payload: P }),
  valueCase(O, "'three' IN arr", 'true', { payload: P }),
  valueCase(O, '4 IN arr', 'false', { payload: P }),
  valueCase(O, 'null IN arr', 'true', { payload: P }),
  valueCase(O, '3 IN i', '', { payload: P }),
  valueCase(O, 'arr CONTAINS 5.7', 'true', { payload: P }),
  valueCase(O, "x CONTAINS 'bc'", 'true', { payload: P }),
  valueCase(O, "x CONTAINS 'z'", 'false', { payload: P }),
  valueCase(O, 'i CONTAINS 5', '', { payload: P }),

  // conversions in data types
  valueCase(D, 'concat(2.5, "")', '"2.5"'),
  valueCase(D, 'concat(10.0, "")', '"10.0"'),
  valueCase(D, 'concat(10.0, "")', '"10"', V2),
  valueCase(D, 'concat(1e21, "")', '"1E+21"'),
  valueCase(D, 'concat(o, "")', '"{\\"a\\":1,\\"b\\":[2]}"', { payload: P }),
  valueCase(D, 'concat(n, "")', '', { payload: P }),
  valueCase(D, "abs('-5.123')", '5.123'),
  valueCase(D, "abs('5E-12')", '5E-12'),
  valueCase(D, "abs('+5')", ''),
  valueCase(D, "abs('5.')", ''),
  valueCase(D, 'abs(12345678901234567)', '12345678901234568'),
];

describe('operators and data types (table-driven from the AWS IoT SQL reference)', () => {
  test.each(CASES)('[$section] $name', (c) => {
    // Prepare: the case row
    // Act & Assess
    expectCase(c);
  });
});
