/** Parse tree of a template, mirroring text/template/parse's nodes. */

export interface ListNode {
  type: 'list';
  pos: number;
  nodes: Node[];
}

export interface TextNode {
  type: 'text';
  pos: number;
  text: string;
}

export interface ActionNode {
  type: 'action';
  pos: number;
  pipe: PipeNode;
}

export interface BranchNode {
  type: 'if' | 'range' | 'with';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}

export interface TemplateNode {
  type: 'template';
  pos: number;
  name: string;
  pipe: PipeNode | undefined;
}

export interface BreakNode {
  type: 'break';
  pos: number;
}

export interface ContinueNode {
  type: 'continue';
  pos: number;
}

export type Node =
  ListNode | TextNode | ActionNode | BranchNode | TemplateNode | BreakNode | ContinueNode;

export interface PipeNode {
  type: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

export interface CommandNode {
  type: 'command';
  pos: number;
  args: ArgNode[];
}

export interface FieldNode {
  type: 'field';
  pos: number;
  ident: string[];
}

export interface ChainNode {
  type: 'chain';
  pos: number;
  node: ArgNode;
  fields: string[];
}

export interface IdentifierNode {
  type: 'identifier';
  pos: number;
  name: string;
}

export interface VariableNode {
  type: 'variable';
  pos: number;
  /** The variable name (with `$`) followed by any field names. */
  ident: string[];
}

export interface DotNode {
  type: 'dot';
  pos: number;
}

export interface NilNode {
  type: 'nil';
  pos: number;
}

export interface BoolNode {
  type: 'bool';
  pos: number;
  value: boolean;
}

export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  /** The value a Go untyped constant of this spelling takes: an int (number/bigint) or a GoFloat. */
  value: unknown;
}

export interface StringNode {
  type: 'string';
  pos: number;
  quoted: string;
  text: string;
}

export type ArgNode =
  | FieldNode
  | ChainNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export type AnyNode = Node | ArgNode | CommandNode;

/** The source-like rendering Go uses for the `<...>` context of execution errors. */
export function nodeToString(node: AnyNode): string {
  switch (node.type) {
    case 'list':
      return node.nodes.map(nodeToString).join('');
    case 'text':
      return node.text;
    case 'action':
      return '{{' + nodeToString(node.pipe) + '}}';
    case 'if':
    case 'range':
    case 'with': {
      let text = `{{${node.type} ${nodeToString(node.pipe)}}}${nodeToString(node.list)}`;
      if (node.elseList) text += '{{else}}' + nodeToString(node.elseList);
      return text + '{{end}}';
    }
    case 'template':
      return `{{template ${JSON.stringify(node.name)}${node.pipe ? ' ' + nodeToString(node.pipe) : ''}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'pipe': {
      let text = '';
      if (node.decl.length > 0) {
        text = node.decl.map(nodeToString).join(', ') + (node.isAssign ? ' = ' : ' := ');
      }
      return text + node.cmds.map(nodeToString).join(' | ');
    }
    case 'command':
      return node.args
        .map((arg) => (arg.type === 'pipe' ? `(${nodeToString(arg)})` : nodeToString(arg)))
        .join(' ');
    case 'field':
      return node.ident.map((name) => '.' + name).join('');
    case 'chain': {
      const head =
        node.node.type === 'pipe' ? `(${nodeToString(node.node)})` : nodeToString(node.node);
      return head + node.fields.map((name) => '.' + name).join('');
    }
    case 'identifier':
      return node.name;
    case 'variable':
      return node.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return node.value ? 'true' : 'false';
    case 'number':
      return node.text;
    case 'string':
      return node.quoted;
  }
}
